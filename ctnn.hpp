// ctnn: compile-time neural networks. A network is a type; its code is generated from it.
//
//   using SeedNet = ctnn::Net<ctnn::Dense<784, 400, ctnn::ReLU>, ctnn::Dense<400, 20>, ctnn::Softmax<10>>;
//   auto data = ctnn::io::load_idx();                  // Fashion-MNIST by default
//   ctnn::Model<SeedNet> model{ctnn::Seed{42}};
//   ctnn::fit<200>(model, data.train, {.epochs = 10, .optimizer = ctnn::SGD{.learning_rate = 0.01f},
//                                      .validation = data.test});
//
// The generic engine runs the same network from a spec read at run time:
//   ctnn::engine::Network twin{SeedNet::spec(), ctnn::Seed{42}};  // "784-400:relu-20:relu-10:softmax"
//   ctnn::fit<200>(twin, data.train, {...});                        // the same training loop
#pragma once

#include "codegen/denormals.hpp"
#include "dsl/activations.hpp"
#include "dsl/initializers.hpp"
#include "dsl/losses.hpp"
#include "dsl/random.hpp"
#include "dsl/regularizers.hpp"
#include "train/engine_fit.hpp"
#include "engine/layer_tokens.hpp"
#include "engine/network.hpp"
#include "engine/parse_spec.hpp"
#include "engine/spec.hpp"
#include "engine/training_step.hpp"
#include "error.hpp"
#include "dsl/dataset.hpp"
#include "dsl/dataset_columns.hpp"
#include "dsl/dataset_split.hpp"
#include "io/atomic_file.hpp"
#include "io/idx.hpp"
#include "io/data_sets.hpp"
#include "io/load.hpp"
#include "io/model_file.hpp"
#include "io/export_header.hpp"
#include "io/npy.hpp"
#include "io/npz.hpp"
#include "net/layer_types.hpp"
#include "net/memory_plan.hpp"
#include "net/model.hpp"
#include "net/net.hpp"
#include "net/training_step.hpp"
#include "train/activation_maximization.hpp"
#include "train/analysis.hpp"
#include "train/backend.hpp"
#include "train/callbacks.hpp"
#include "train/evaluate.hpp"
#include "train/fit.hpp"
#include "train/history.hpp"
#include "train/history_files.hpp"
#include "train/run_folder.hpp"
#include "train/metrics.hpp"
#include "codegen/optimizer_update.hpp"
#include "dsl/optimizers.hpp"
#include "train/thread_tuner.hpp"
#include "train/training_state.hpp"
#include "transform/pca.hpp"

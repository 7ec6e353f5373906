// Loads weights from a NumPy .npz archive (Keras names: dense/kernel, dense/bias, dense_1/kernel, ...)
// into a network of the given spec, e.g. weights trained in PyTorch or Keras, and then predicts a
// .npy of inputs, evaluates on a data set and/or saves a ctnn model file (for ctnn-export).
//   import_npz SPEC WEIGHTS.npz [--inputs X.npy --outputs Y.npy] [--evaluate] [--data DATA] [--save MODEL.ctnn]
//   bench/pytorch_weights.py shows the round trip from PyTorch.
#include <cstdio>
#include <ctnn/ctnn.hpp>
#include <string>
#include <string_view>

#include "flags.hpp"

namespace {

constexpr const char* usage =
    "usage: import_npz SPEC WEIGHTS.npz [--inputs X.npy --outputs Y.npy] [--evaluate] [--data DATA] [--save MODEL.ctnn]\n"
    "  SPEC               the network, e.g. 784-64:relu-10:softmax (the weights must have its shapes)\n"
    "  WEIGHTS.npz        dense/kernel (inputs x outputs), dense/bias, dense_1/kernel, ... (float32 or float64)\n"
    "  --inputs X.npy     samples to predict, count x inputs; --outputs Y.npy receives count x outputs\n"
    "  --evaluate         print loss and accuracy on the test set of --data (default Fashion-MNIST)\n"
    "  --save MODEL.ctnn  write a ctnn model file\n";

}  // namespace

int main(int argc, char** argv) {
  try {
    std::string spec, weights, inputs, outputs, save, data = ctnn::io::default_data_directory.string();
    bool evaluate = false;
    examples::for_each_argument(argc, argv, usage, [&](std::string_view argument, auto&& value) {
      if (argument == "--inputs") inputs = value();
      else if (argument == "--outputs") outputs = value();
      else if (argument == "--save") save = value();
      else if (argument == "--data") data = ctnn::io::data_directory(value()).string();
      else if (argument == "--evaluate") evaluate = true;
      else if (argument.starts_with("--")) return false;
      else if (spec.empty()) spec = argument;
      else if (weights.empty()) weights = argument;
      else throw ctnn::Error("unexpected argument '" + std::string(argument) + "'");
      return true;
    });
    if (weights.empty()) throw ctnn::Error("a spec and a weights file are required");
    if (inputs.empty() != outputs.empty()) throw ctnn::Error("--inputs and --outputs go together");
    ctnn::engine::Network network{spec};
    ctnn::io::load_npz(network, weights);
    std::printf("%s: loaded %s (%zu parameters)\n", weights.c_str(), network.architecture().c_str(), network.param_count());
    if (!inputs.empty()) {
      const ctnn::io::NpyArray x = ctnn::io::load_npy(inputs);
      if (x.shape.size() != 2 || x.shape[1] != network.input_size())
        throw ctnn::Error(inputs + ": must be count x " + std::to_string(network.input_size()) + " for " + network.architecture());
      std::vector<float> y(x.shape[0] * network.output_size());
      network.predict(x.values.data(), x.shape[0], y.data());
      ctnn::io::save_npy(outputs, y, {x.shape[0], network.output_size()});
      std::printf("%s: %zu predictions\n", outputs.c_str(), x.shape[0]);
    }
    if (evaluate) {
      const auto test = ctnn::io::load_data_set(data).test;
      const ctnn::Evaluation result = ctnn::evaluate(network, test);
      std::printf("test loss %.4f, test accuracy %.4f\n", result.loss, result.accuracy);
    }
    if (!save.empty()) {
      ctnn::io::save(network, save);
      std::printf("saved %s\n", save.c_str());
    }
  } catch (const ctnn::Error& error) {
    std::fprintf(stderr, "import_npz: %s\n(import_npz --help lists the flags)\n", error.what());
    return 1;
  }
}

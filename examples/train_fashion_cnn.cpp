// The four convolutional networks of the Fashion-MNIST seed, with its protocol: the 60,000 training
// images split 48,000 / 12,000 by a seeded shuffle, Adam with Keras's defaults, validation after
// every epoch, test accuracy on the 10,000 test images after the last epoch.
//   A  Conv2D(32, 3x3, valid, relu) - MaxPooling2D(2) - Flatten - Dense(128, relu) - Dense(10, softmax);
//      batch 64, 20 epochs (published: 91.57%)
//   B  three blocks Conv2D(32 / 64 / 128, 3x3, same, relu) - MaxPooling2D(2) - Dropout(0.25 / 0.25 / 0.4),
//      Flatten - Dense(128, relu) - Dropout(0.5) - Dense(10, softmax); batch 32, 30 epochs (91.86%)
//   C  four such blocks (32 / 64 / 128 / 256 filters; dropout 0.2 / 0.3 / 0.4 / 0.4); as B (91.47%)
//   D  B with BatchNormalization after every convolution and after Dense(128), and a learning rate
//      that shrinks tenfold at every epoch after the 11th and a hundredfold after the 21st (92.29%)
// The published networks start with Rescaling(1/255) on raw pixels; ctnn's IDX loader already
// scales pixels to [0, 1], so the networks here start at the convolution.
//   train_fashion_cnn [--network a|b|c|d] [--epochs N] [--samples N] [--data DATA] [--seed N] [--save FILE] [--report DIR] [--backup DIR]
#include <cstdio>
#include <ctnn/ctnn.hpp>
#include <string>
#include <string_view>

#include "flags.hpp"
#include "test_report.hpp"

namespace {

using namespace ctnn;

using Image = Input<28, 28, 1>;
template <std::size_t Filters>
using SameConv = Conv2D<Filters, 3, 3, ReLU, Same>;

using CnnA = Net<Image, Conv2D<32, 3, 3, ReLU>, MaxPool2D<2>, Flatten, Dense<inferred, 128, ReLU>, Softmax<10>>;
using CnnB = Net<Image, SameConv<32>, MaxPool2D<2>, Dropout<0.25>, SameConv<64>, MaxPool2D<2>, Dropout<0.25>,
                 SameConv<128>, MaxPool2D<2>, Dropout<0.4>, Flatten, Dense<inferred, 128, ReLU>, Dropout<0.5>,
                 Softmax<10>>;
using CnnC = Net<Image, SameConv<32>, MaxPool2D<2>, Dropout<0.2>, SameConv<64>, MaxPool2D<2>, Dropout<0.3>,
                 SameConv<128>, MaxPool2D<2>, Dropout<0.4>, SameConv<256>, MaxPool2D<2>, Dropout<0.4>, Flatten,
                 Dense<inferred, 128, ReLU>, Dropout<0.5>, Softmax<10>>;
using CnnD = Net<Image, SameConv<32>, BatchNorm<>, MaxPool2D<2>, Dropout<0.25>, SameConv<64>, BatchNorm<>,
                 MaxPool2D<2>, Dropout<0.25>, SameConv<128>, BatchNorm<>, MaxPool2D<2>, Dropout<0.4>, Flatten,
                 Dense<inferred, 128, ReLU>, BatchNorm<>, Dropout<0.5>, Softmax<10>>;

// The seed's schedule for D, as its Keras function: given the 0-based epoch and the current rate.
float seed_schedule(std::size_t epoch, float learning_rate) {
  if (epoch > 20) return learning_rate * 0.01f;
  if (epoch > 10) return learning_rate * 0.1f;
  return learning_rate;
}

struct Protocol {
  std::size_t epochs;
  double published_accuracy;
};

template <class N, std::size_t BatchSize>
void train(const examples::TrainingFlags& flags, const Dataset& train_data, const Dataset& validation,
           const Dataset& test, bool scheduled) {
  N::print_summary();
  std::printf("%s, batch size %zu, epochs: %zu, %zu training and %zu validation images of %s\n",
              flags.describe_optimizer().c_str(), flags.batch_or(BatchSize), flags.epochs, train_data.count, validation.count,
              flags.data.c_str());
  Model<N> model{Seed{flags.seed}};
  FitOptions options = flags.fit_options(validation, test);
  if (scheduled && flags.schedule.empty()) options.callbacks.push_back(LearningRateScheduler{seed_schedule});
  const History history = fit<BatchSize>(model, train_data, options);
  flags.write_history_if_asked(history);
  examples::print_test_report(model, test, flags.data, flags.loss);
  flags.save_if_asked(model);
  flags.report_if_asked("train_fashion_cnn", model, history, test, flags.batch_or(BatchSize));
}

}  // namespace

int main(int argc, char** argv) {
  try {
    examples::TrainingFlags flags;
    flags.optimizer = "adam";
    flags.epochs = 0;  // the network's own unless given
    flags.epochs_default = "20 for A, 30 for B, C and D";
    char network = 'a';
    std::size_t samples = 48000;
    const std::string usage =
        "usage: train_fashion_cnn [--network a|b|c|d] [--epochs N] [--samples N] [--optimizer NAME] "
        "[--learning-rate X] [--loss NAME] [--data DATA] [--seed N] [--save FILE] [--report DIR] [--backup DIR]\n"
        "  --network a|b|c|d  the seed's network A, B, C or D (default a)\n"
        "  --samples N        train on N of the 48,000 training images and validate on N / 4 of the 12,000\n"
        "                     (default all; fewer for a quick run)\n" +
        flags.usage();
    examples::for_each_argument(argc, argv, usage.c_str(), [&](std::string_view flag, auto&& value) {
      if (flag == "--network") {
        const std::string_view name = value();
        if (name.size() != 1 || std::string_view("abcdABCD").find(name[0]) == std::string_view::npos)
          throw Error("--network takes a, b, c or d, not '" + std::string(name) + "'");
        network = char(name[0] | 0x20);
      } else if (flag == "--samples") {
        samples = examples::parse_number<std::size_t>(flag, value());
        if (samples < 4 || samples > 48000) throw Error("--samples takes 4 to 48000, not " + std::to_string(samples));
      } else {
        return flags.take(flag, value);
      }
      return true;
    });
    const Protocol protocol = network == 'a'   ? Protocol{20, 0.9157}
                              : network == 'b' ? Protocol{30, 0.9186}
                              : network == 'c' ? Protocol{30, 0.9147}
                                               : Protocol{30, 0.9229};
    if (flags.epochs == 0) flags.epochs = protocol.epochs;

    const TrainTestData data = io::load_data_set(flags.data);
    if (data.train.features != 28 * 28)
      throw Error("the CNNs read 28x28 images; " + data.train.images_source + " holds " +
                  std::to_string(data.train.features) + " pixels per image");
    DatasetSplit split = shuffled_split(data.train, data.train.count / 5, Seed{flags.seed});
    const auto keep_first = [](Dataset& part, std::size_t count) {
      part.count = std::min(count, part.count);
      part.images.resize(part.count * part.features);
      part.labels.resize(part.count);
    };
    keep_first(split.train, samples);
    keep_first(split.validation, samples / 4);
    const Dataset &train_data = split.train, &validation = split.validation;
    std::printf("network %c (published test accuracy %.2f%%)\n", network - 0x20, 100 * protocol.published_accuracy);
    switch (network) {
      case 'a': train<CnnA, 64>(flags, train_data, validation, data.test, false); break;
      case 'b': train<CnnB, 32>(flags, train_data, validation, data.test, false); break;
      case 'c': train<CnnC, 32>(flags, train_data, validation, data.test, false); break;
      default: train<CnnD, 32>(flags, train_data, validation, data.test, true); break;
    }
  } catch (const ctnn::Error& error) {
    std::fprintf(stderr, "train_fashion_cnn: %s\n(train_fashion_cnn --help lists the flags)\n", error.what());
    return 1;
  }
}

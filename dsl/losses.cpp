#include "losses.hpp"

namespace ctnn {

std::string loss_name(const Loss& loss) {
  constexpr const char* names[] = {"sparse_categorical_crossentropy", "categorical_crossentropy", "mean_squared_error"};
  std::string name = names[loss.index()];
  if (const auto* categorical = std::get_if<CategoricalCrossentropy>(&loss); categorical && categorical->label_smoothing > 0) {
    char smoothing[32];
    std::snprintf(smoothing, sizeof smoothing, "(label_smoothing=%g)", categorical->label_smoothing);
    name.append(smoothing);
  }
  return name;
}

void check_loss(const Loss& loss) {
  if (const auto* categorical = std::get_if<CategoricalCrossentropy>(&loss)) {
    const double smoothing = categorical->label_smoothing;
    if (!(smoothing >= 0.0 && smoothing <= 1.0))
      throw Error("CategoricalCrossentropy::label_smoothing must be in [0, 1], not " + std::to_string(smoothing));
  }
}

Loss parse_loss(const std::string& text) {
  const std::string name = text.substr(0, text.find('='));
  const bool has_value = name.size() != text.size();
  Loss loss;
  if (name == "sparse_categorical_crossentropy" && !has_value) loss = SparseCategoricalCrossentropy{};
  else if ((name == "mean_squared_error" || name == "mse") && !has_value) loss = MeanSquaredError{};
  else if (name == "categorical_crossentropy") {
    CategoricalCrossentropy categorical;
    if (has_value) {
      const std::string value = text.substr(name.size() + 1);
      std::size_t used = 0;
      try {
        categorical.label_smoothing = std::stod(value, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used == 0 || used != value.size())
        throw Error("loss '" + text + "': the label smoothing '" + value + "' is not a number");
    }
    loss = categorical;
  } else {
    throw Error("unknown loss '" + text +
                "': use sparse_categorical_crossentropy, categorical_crossentropy[=label_smoothing] or "
                "mean_squared_error (mse)");
  }
  check_loss(loss);
  return loss;
}

}  // namespace ctnn

// ctnn-export: writes a model file as a self-contained C++ header (see io/export_header.hpp).
//   ctnn-export MODEL.ctnn --name NAME -o OUT.hpp [--classes fashion-mnist|LIST]
#include <cstdio>
#include <ctnn/io/export_header.hpp>
#include <ctnn/io/idx.hpp>
#include <ctnn/io/model_file.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace {

constexpr const char* usage =
    "usage: ctnn-export MODEL --name NAME -o HEADER [--classes fashion-mnist|NAME,NAME,...]\n"
    "  MODEL              a ctnn model file (io::save, or train_seed / train_spec --save)\n"
    "  --name NAME        the namespace of the header's constants and functions (a C++ identifier)\n"
    "  -o HEADER          the header to write (atomically)\n"
    "  --classes LIST     class names for NAME::class_names: fashion-mnist, or comma-separated names\n"
    "                     (default: 0, 1, 2, ...)\n";

std::vector<std::string> split_classes(std::string_view list) {
  if (list == "fashion-mnist") return ctnn::io::fashion_mnist_classes;
  std::vector<std::string> names;
  for (std::size_t start = 0;;) {
    const std::size_t comma = list.find(',', start);
    names.emplace_back(list.substr(start, comma - start));
    if (comma == std::string_view::npos) return names;
    start = comma + 1;
  }
}

}  // namespace

int main(int argc, char** argv) {
  try {
    std::string model, name, output;
    ctnn::io::ExportOptions options;
    for (int i = 1; i < argc; ++i) {
      const std::string_view argument = argv[i];
      const auto value = [&] {
        if (i + 1 >= argc) throw ctnn::Error(std::string(argument) + " needs a value");
        return std::string(argv[++i]);
      };
      if (argument == "--help" || argument == "-h") {
        std::fputs(usage, stdout);
        return 0;
      } else if (argument == "--name") name = value();
      else if (argument == "-o" || argument == "--output") output = value();
      else if (argument == "--classes") options.class_names = split_classes(value());
      else if (argument.starts_with("-")) throw ctnn::Error("unknown flag '" + std::string(argument) + "'");
      else if (!model.empty()) throw ctnn::Error("one model file only; '" + std::string(argument) + "' is a second one");
      else model = argument;
    }
    if (model.empty() || name.empty() || output.empty()) throw ctnn::Error("a model file, --name and -o are required");
    options.source = std::filesystem::path(model).filename().string();
    const ctnn::io::ModelFile file = ctnn::io::read_model_file(model);
    ctnn::io::export_header(file, output, name, options);
    std::printf("%s: %s (%s, %zu parameters)\n", output.c_str(), name.c_str(), file.architecture.c_str(), file.parameters.size());
  } catch (const ctnn::Error& error) {
    std::fprintf(stderr, "ctnn-export: %s\n(ctnn-export --help lists the flags)\n", error.what());
    return 1;
  }
}

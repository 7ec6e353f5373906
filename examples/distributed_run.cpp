#include "distributed_run.hpp"

#include <cstdio>
#include <cstring>
#include <string>

#include <ctnn/error.hpp>

#include "flags.hpp"
#if CTNN_HAS_MPI
#include <ctnn/distributed/mpi.hpp>
#endif

namespace examples {

#if CTNN_HAS_MPI
struct DistributedRun::Mpi : ctnn::distributed::Mpi {
  using ctnn::distributed::Mpi::Mpi;
};
#else
struct DistributedRun::Mpi {};
#endif

namespace {

bool asks_for_mpi(int argc, char** argv) {
  for (int i = 1; i < argc; ++i)
    if (std::strcmp(argv[i], "--mpi") == 0) return true;
  return false;
}

}  // namespace

DistributedRun::DistributedRun() = default;

void DistributedRun::start(int& argc, char**& argv) {
  if (!asks_for_mpi(argc, argv)) return;
#if CTNN_HAS_MPI
  mpi_ = std::make_unique<Mpi>(argc, argv);
  if (!leads()) {
    // Every rank runs the same program; one transcript is enough.
    if (!std::freopen("/dev/null", "w", stdout)) std::fputs("cannot silence this rank's output\n", stderr);
  }
#else
  throw ctnn::Error("--mpi: this build of ctnn has no MPI; configure it with -DCTNN_MPI=ON (Debian: libopenmpi-dev "
                    "openmpi-bin) and start the program with mpirun");
#endif
}

DistributedRun::~DistributedRun() = default;

ctnn::Collective* DistributedRun::collective() {
#if CTNN_HAS_MPI
  if (mpi_) return &mpi_->world();
#endif
  return nullptr;
}

bool DistributedRun::leads() const {
#if CTNN_HAS_MPI
  if (mpi_) return mpi_->rank() == 0;
#endif
  return true;
}

void DistributedRun::share(TrainingFlags& flags) const {
  if (leads()) return;
  flags.save.clear();
  flags.report.clear();
  flags.history_file.clear();
}

ctnn::ProcessShare DistributedRun::training_rows(const TrainingFlags& flags) const {
  if (!flags.shard) return {};
#if CTNN_HAS_MPI
  if (mpi_) return mpi_->world().share();
#endif
  throw ctnn::Error("--shard splits the training images between the processes of --mpi; give --mpi too");
}

int DistributedRun::fail(const char* program, const std::exception& error) const {
  const std::string message = std::string(program) + ": " + error.what();
#if CTNN_HAS_MPI
  if (mpi_ && mpi_->ranks() > 1) mpi_->abort(message);
#endif
  std::fprintf(stderr, "%s\n(%s --help lists the flags)\n", message.c_str(), program);
  return 1;
}

}  // namespace examples

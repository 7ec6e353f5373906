// --mpi: an example trains over the processes mpirun starts (ctnn built with -DCTNN_MPI=ON), each
// holding the whole model, with the weights a single process would get. Rank 0 prints and writes
// the files the flags ask for; the others stay silent.
#pragma once

#include <exception>
#include <memory>

#include <ctnn/codegen/process_share.hpp>

namespace examples {

struct TrainingFlags;

class DistributedRun {
 public:
  DistributedRun();
  ~DistributedRun();
  // Starts MPI when the arguments hold --mpi; before anything else reads them (MPI may take its own).
  void start(int& argc, char**& argv);
  DistributedRun(const DistributedRun&) = delete;
  DistributedRun& operator=(const DistributedRun&) = delete;

  // The processes to train over (FitOptions::collective), nullptr without --mpi.
  ctnn::Collective* collective();
  // Rank 0, or a run without --mpi: the process that prints and writes files.
  bool leads() const;
  // Leaves the files the flags name to rank 0: the other ranks write none.
  void share(TrainingFlags& flags) const;
  // The training rows this process reads: its share with --shard, else all of them.
  ctnn::ProcessShare training_rows(const TrainingFlags& flags) const;
  // Reports an error the example's way and returns main's exit status; over MPI, ends every rank,
  // which would otherwise wait for this one.
  int fail(const char* program, const std::exception& error) const;

 private:
  struct Mpi;
  std::unique_ptr<Mpi> mpi_;
};

}  // namespace examples

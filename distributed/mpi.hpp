// Data-parallel training over MPI: every process (rank) holds the whole model and every batch;
// each computes its share of the layers that share work (codegen/process_share.hpp) and the
// exchanges below complete them, so that every rank ends each step with the weights a single
// process would have, bit for bit, whatever the number of ranks.
//
//   ctnn::distributed::Mpi mpi(argc, argv);          // MPI_Init_thread ... MPI_Finalize
//   options.collective = &mpi.world();               // FitOptions: fit() then trains over every rank
//   options.verbose = mpi.rank() == 0;               // (fit writes files from rank 0 only anyway)
//
// Built with -DCTNN_MPI=ON (find_package(MPI); Debian's libopenmpi-dev); link ctnn::mpi.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "../codegen/process_share.hpp"

namespace ctnn::distributed {

// The processes of MPI_COMM_WORLD as a Collective.
class MpiCollective final : public Collective {
 public:
  ProcessShare share() const override { return share_; }
  void gather_blocks(float* data, std::span<const std::size_t> counts) override;
  void gather_ranges(std::span<float> values, std::span<const std::vector<IndexRange>> owned) override;
  bool same_everywhere(std::uint64_t value) override;

 private:
  friend class Mpi;
  explicit MpiCollective(ProcessShare share) : share_(share) {}
  ProcessShare share_;
  // gather_ranges describes each process's ranges as an MPI datatype, kept while they stay the same.
  std::vector<std::vector<IndexRange>> typed_ranges_;
  std::vector<void*> range_types_;  // MPI_Datatype, one per process (null: it owns nothing)
  void free_range_types();
};

// MPI for the life of the program: initialised by the constructor (once per process), finalised
// by the destructor. Only the thread that made it calls MPI.
class Mpi {
 public:
  Mpi(int& argc, char**& argv);
  ~Mpi();
  Mpi(const Mpi&) = delete;
  Mpi& operator=(const Mpi&) = delete;

  std::size_t rank() const { return world_.share().rank; }
  std::size_t ranks() const { return world_.share().ranks; }
  MpiCollective& world() { return world_; }

  // Ends every rank of the run: prints "rank R of N: message" on this one, then MPI_Abort. For an
  // error one rank meets alone (a file it cannot read), which would leave the others waiting.
  [[noreturn]] void abort(std::string_view message) const;

 private:
  MpiCollective world_;
};

}  // namespace ctnn::distributed

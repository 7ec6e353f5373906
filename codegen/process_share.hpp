// Training over several processes (data parallel): which part of a step's work this process
// computes, and the exchanges the drivers need. A layer that shares its work (LayerTraits::
// shares_work) computes, of a batch, the rows ProcessShare::rows names in its forward pass and in
// its input gradient, and of each of its parameter tensors the rows ProcessShare::rows names in its
// parameter gradients; the drivers gather the rest from the other processes. Every other layer runs
// whole on every process (its parameter gradients are process 0's). As with threads, work is split
// over outputs only, never over a sum, so every number is computed in the order of one process: the
// results are those of one process, bit for bit, for any number of processes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace ctnn {

struct IndexRange {
  std::size_t begin = 0, end = 0;
  constexpr std::size_t size() const { return end - begin; }
  friend constexpr bool operator==(const IndexRange&, const IndexRange&) = default;
};

struct ProcessShare {
  std::size_t rank = 0, ranks = 1;

  constexpr bool whole() const { return ranks == 1; }
  // This process's rows of `count`: contiguous, in rank order, their counts differing by one at most.
  constexpr IndexRange rows(std::size_t count) const { return part(count, rank); }
  constexpr IndexRange rows_of(std::size_t process, std::size_t count) const { return part(count, process); }

 private:
  constexpr IndexRange part(std::size_t count, std::size_t process) const {
    return {count * process / ranks, count * (process + 1) / ranks};
  }
};

// The exchanges between the processes of one training run (MPI: distributed/mpi.hpp).
// Every process calls each with the same arguments in the same order.
class Collective {
 public:
  virtual ProcessShare share() const = 0;
  // `data` holds one block per process, in rank order, process r's `counts[r]` floats long, of which
  // this process filled its own; afterwards every process holds every block.
  virtual void gather_blocks(float* data, std::span<const std::size_t> counts) = 0;
  // `data` holds `rows` rows of `row_floats` floats, of which this process computed share().rows(rows);
  // afterwards every process holds every row.
  void gather_rows(float* data, std::size_t row_floats, std::size_t rows) {
    const ProcessShare all = share();
    std::vector<std::size_t> counts(all.ranks);
    for (std::size_t r = 0; r < all.ranks; ++r) counts[r] = all.rows_of(r, rows).size() * row_floats;
    gather_blocks(data, counts);
  }
  // `owned[r]` lists the ranges of `values` process r computed (the ranges of all processes do not
  // overlap); afterwards every process holds every process's ranges.
  virtual void gather_ranges(std::span<float> values, std::span<const std::vector<IndexRange>> owned) = 0;
  // Whether every process passed the same value (the same answer on every process).
  virtual bool same_everywhere(std::uint64_t value) = 0;

 protected:
  ~Collective() = default;
};

}  // namespace ctnn

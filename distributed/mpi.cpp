#include "mpi.hpp"

#include <mpi.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <cstdio>
#include <string>
#include <vector>

#include "../error.hpp"

namespace ctnn::distributed {

namespace {

void check(int code, const char* call) {
  if (code == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(code, text, &length);
  throw Error(std::string("MPI: ") + call + " failed: " + std::string(text, std::size_t(length)));
}

int as_count(std::size_t count, const char* what) {
  if (count > std::size_t(INT_MAX))
    throw Error(std::string("MPI: ") + what + " of " + std::to_string(count) + " values is more than one message holds (" +
                std::to_string(INT_MAX) + ")");
  return int(count);
}

ProcessShare world_share() {
  int rank = 0, ranks = 1;
  check(MPI_Comm_rank(MPI_COMM_WORLD, &rank), "MPI_Comm_rank");
  check(MPI_Comm_size(MPI_COMM_WORLD, &ranks), "MPI_Comm_size");
  return {std::size_t(rank), std::size_t(ranks)};
}

ProcessShare initialize(int& argc, char**& argv) {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (initialized) throw Error("MPI: initialised twice; make one ctnn::distributed::Mpi per program");
  // Only the main thread calls MPI; the thread pool's workers never do.
  int provided = 0;
  check(MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
  // Errors come back as codes (check() turns them into ctnn::Error) instead of aborting at once.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  return world_share();
}

}  // namespace

void MpiCollective::gather_blocks(float* data, std::span<const std::size_t> counts) {
  if (counts.size() != share_.ranks)
    throw Error("MPI: gather_blocks needs the block size of each of the " + std::to_string(share_.ranks) + " processes");
  std::vector<int> sizes(share_.ranks), offsets(share_.ranks);
  std::size_t offset = 0;
  for (std::size_t r = 0; r < share_.ranks; ++r) {
    sizes[r] = as_count(counts[r], "a process's block");
    offsets[r] = as_count(offset, "the blocks before a process's");
    offset += counts[r];
  }
  check(MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, data, sizes.data(), offsets.data(), MPI_FLOAT, MPI_COMM_WORLD),
        "MPI_Allgatherv");
}

void MpiCollective::gather_ranges(std::span<float> values, std::span<const std::vector<IndexRange>> owned) {
  if (owned.size() != share_.ranks)
    throw Error("MPI: gather_ranges needs the ranges of each of the " + std::to_string(share_.ranks) + " processes");
  if (!std::ranges::equal(owned, typed_ranges_)) {
    free_range_types();
    for (const std::vector<IndexRange>& ranges : owned) {
      std::vector<int> lengths, starts;
      for (const IndexRange& range : ranges) {
        if (range.end > values.size()) throw Error("MPI: gather_ranges was given a range past the values' end");
        lengths.push_back(as_count(range.size(), "a range"));
        starts.push_back(as_count(range.begin, "an offset"));
      }
      MPI_Datatype type = MPI_DATATYPE_NULL;
      if (!ranges.empty()) {
        check(MPI_Type_indexed(int(ranges.size()), lengths.data(), starts.data(), MPI_FLOAT, &type), "MPI_Type_indexed");
        check(MPI_Type_commit(&type), "MPI_Type_commit");
      }
      range_types_.push_back(type == MPI_DATATYPE_NULL ? nullptr : static_cast<void*>(new MPI_Datatype(type)));
    }
    typed_ranges_.assign(owned.begin(), owned.end());
  }
  // Each process's ranges from it to all: a broadcast per process, in rank order.
  for (std::size_t r = 0; r < share_.ranks; ++r)
    if (range_types_[r])
      check(MPI_Bcast(values.data(), 1, *static_cast<MPI_Datatype*>(range_types_[r]), int(r), MPI_COMM_WORLD), "MPI_Bcast");
}

void MpiCollective::free_range_types() {
  for (void* type : range_types_)
    if (type) {
      MPI_Type_free(static_cast<MPI_Datatype*>(type));
      delete static_cast<MPI_Datatype*>(type);
    }
  range_types_.clear();
  typed_ranges_.clear();
}

bool MpiCollective::same_everywhere(std::uint64_t value) {
  unsigned long long bounds[2] = {value, ~static_cast<unsigned long long>(value)};  // min of both: min and max
  check(MPI_Allreduce(MPI_IN_PLACE, bounds, 2, MPI_UNSIGNED_LONG_LONG, MPI_MIN, MPI_COMM_WORLD), "MPI_Allreduce");
  return bounds[0] == value && ~bounds[1] == value;
}

Mpi::Mpi(int& argc, char**& argv) : world_(initialize(argc, argv)) {}

Mpi::~Mpi() {
  world_.free_range_types();
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Finalize();
}

void Mpi::abort(std::string_view message) const {
  std::fprintf(stderr, "rank %zu of %zu: %.*s\n", rank(), ranks(), int(message.size()), message.data());
  std::fflush(stderr);
  MPI_Abort(MPI_COMM_WORLD, 1);
  std::abort();  // MPI_Abort does not return; this says so to the compiler
}

}  // namespace ctnn::distributed

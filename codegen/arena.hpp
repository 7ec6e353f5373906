// One 64-byte-aligned block of memory that a plan lays out. It can grow into a larger plan
// that starts with the current one (model -> training), keeping the prefix.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <memory>
#include <new>

namespace ctnn {

inline constexpr std::size_t arena_alignment = 64;

class Arena {
 public:
  explicit Arena(std::size_t bytes) { grow(bytes); }
  Arena(const Arena& other) : Arena(other.bytes_) { std::memcpy(data_.get(), other.data_.get(), bytes_); }
  Arena& operator=(const Arena& other) {
    if (this != &other) *this = Arena(other);
    return *this;
  }
  Arena(Arena&&) noexcept = default;
  Arena& operator=(Arena&&) noexcept = default;

  std::byte* data() { return data_.get(); }
  const std::byte* data() const { return data_.get(); }
  std::size_t bytes() const { return bytes_; }

  // Makes room for `bytes`, keeping the current contents and zeroing the rest.
  void grow(std::size_t bytes) {
    if (bytes <= bytes_ && data_) return;
    Storage larger(static_cast<std::byte*>(::operator new(bytes, std::align_val_t{arena_alignment})));
    if (data_) std::memcpy(larger.get(), data_.get(), bytes_);
    std::memset(larger.get() + bytes_, 0, bytes - bytes_);
    data_ = std::move(larger);
    bytes_ = bytes;
  }

 private:
  struct AlignedDelete {
    void operator()(std::byte* p) const { ::operator delete(p, std::align_val_t{arena_alignment}); }
  };
  using Storage = std::unique_ptr<std::byte[], AlignedDelete>;
  Storage data_;
  std::size_t bytes_ = 0;
};

template <class T = float>
T* in_arena(std::byte* arena, std::size_t offset) {
  return std::launder(reinterpret_cast<T*>(arena + offset));
}
template <class T = float>
const T* in_arena(const std::byte* arena, std::size_t offset) {
  return std::launder(reinterpret_cast<const T*>(arena + offset));
}

}  // namespace ctnn

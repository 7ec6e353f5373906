#!/usr/bin/python3
"""Writes the seed corpus of the fuzz targets for formats ctnn reads but others write: IDX data sets
(plain and gzipped, from the installed Fashion-MNIST), .npy arrays, .npz archives and ZIP archives
(with numpy's own writers, stored and deflated) and PGM images (the example's). Small, valid inputs
for the fuzzers to mutate; fuzz/write_seed_corpus.cpp writes ctnn's own formats.
    /usr/bin/python3 fuzz/write_seed_corpus.py fuzz/corpus"""
import gzip
import io
import pathlib
import shutil
import struct
import sys
import zipfile

import numpy as np

corpus = pathlib.Path(sys.argv[1])
root = pathlib.Path(__file__).resolve().parent.parent
for name in ("idx", "npy", "npz", "zip", "pgm"):
    (corpus / name).mkdir(parents=True, exist_ok=True)

# IDX: the idx target reads a little-endian uint32 (the labels file's length), the labels file, then
# the images file. Three Fashion-MNIST images, and the same gzipped.
fashion = pathlib.Path("/usr/share/datasets/fashion-mnist")
with gzip.open(fashion / "t10k-images-idx3-ubyte.gz") as f:
    images = f.read(16 + 3 * 784)
with gzip.open(fashion / "t10k-labels-idx1-ubyte.gz") as f:
    labels = f.read(8 + 3)
images = images[:4] + struct.pack(">I", 3) + images[8:]
labels = labels[:4] + struct.pack(">I", 3) + labels[8:]
small = struct.pack(">IIII", 0x803, 2, 2, 3) + bytes(range(12))
small_labels = struct.pack(">II", 0x801, 2) + bytes([1, 7])
for name, (lab, img) in {"fashion-3": (labels, images), "tiny-2x2x3": (small_labels, small)}.items():
    (corpus / "idx" / name).write_bytes(struct.pack("<I", len(lab)) + lab + img)
    gz_lab, gz_img = gzip.compress(lab, mtime=0), gzip.compress(img, mtime=0)
    (corpus / "idx" / (name + ".gz")).write_bytes(struct.pack("<I", len(gz_lab)) + gz_lab + gz_img)

# .npy: every element type and order the reader takes.
arrays = {
    "float32": np.arange(6, dtype="<f4").reshape(2, 3),
    "float64-fortran": np.asfortranarray(np.arange(6, dtype="<f8").reshape(3, 2)),
    "uint8": np.arange(12, dtype="u1").reshape(2, 2, 3),
    "big-endian": np.arange(4, dtype=">f4"),
    "scalar": np.array(1.5, dtype="<f4"),
    "int32": np.arange(6, dtype="<i4").reshape(2, 3),
    "int64-labels": np.array([7, 0, 9], dtype="<i8"),
}
for name, array in arrays.items():
    buffer = io.BytesIO()
    np.save(buffer, array)
    (corpus / "npy" / (name + ".npy")).write_bytes(buffer.getvalue())

# .npz: a model's weights by Keras's names, and a Keras-style data set; stored and deflated.
weights = {"dense/kernel": np.ones((3, 2), "<f4"), "dense/bias": np.zeros(2, "<f4")}
data_set = {"x_train": np.arange(2 * 9, dtype="u1").reshape(2, 3, 3), "y_train": np.array([0, 1], "u1"),
            "x_test": np.arange(9, dtype="u1").reshape(1, 3, 3), "y_test": np.array([1], "u1")}
for name, content in {"weights": weights, "data-set": data_set}.items():
    np.savez(corpus / "npz" / (name + ".npz"), **content)
    np.savez_compressed(corpus / "npz" / (name + "-deflated.npz"), **content)
    shutil.copy(corpus / "npz" / (name + "-deflated.npz"), corpus / "zip" / (name + "-deflated.zip"))
with zipfile.ZipFile(corpus / "zip" / "two-entries.zip", "w", zipfile.ZIP_STORED) as archive:
    archive.writestr("a.npy", b"stored bytes")
    archive.writestr(zipfile.ZipInfo("b.npy"), b"x" * 100, compress_type=zipfile.ZIP_DEFLATED)

# PGM: the example's images, and a text (P2) one.
for image in sorted((root / "examples" / "images").glob("*.pgm")):
    shutil.copy(image, corpus / "pgm" / image.name)
(corpus / "pgm" / "text.pgm").write_text("P2\n# text pixels\n28 28\n255\n" + " ".join(str(i % 256) for i in range(784)) + "\n")
print(f"wrote the seed corpus of idx, npy, npz, zip and pgm under {corpus}")

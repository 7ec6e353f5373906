#!/usr/bin/env python3
"""The pixels a random forest ranks most important, for seed 001's experiment 10.

Reads a data set ctnn exported (io::save_npy_data_set: float32 images (count, features), uint8 labels),
fits scikit-learn's RandomForestClassifier as the notebook does (100 trees, random_state 42) and writes
the indices of the `--top` most important features, most important first, as an int64 .npy array
(io::load_npy_indices reads it).
"""
import argparse
import sys

import numpy as np


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", required=True, help="images .npy, (count, features)")
    parser.add_argument("--labels", required=True, help="labels .npy, (count,)")
    parser.add_argument("--out", required=True, help="the indices .npy to write")
    parser.add_argument("--top", type=int, default=70)
    parser.add_argument("--trees", type=int, default=100)
    parser.add_argument("--random-state", type=int, default=42)
    parser.add_argument("--jobs", type=int, default=1, help="threads (the forest is the same for any number)")
    args = parser.parse_args()
    try:
        from sklearn.ensemble import RandomForestClassifier
    except ImportError:
        sys.exit("forest_pixels.py: scikit-learn is missing; install Debian's python3-sklearn (scripts/install-deps.sh)")
    images, labels = np.load(args.images), np.load(args.labels)
    if images.ndim != 2 or labels.shape != (images.shape[0],):
        sys.exit(f"forest_pixels.py: {args.images} is {images.shape} and {args.labels} {labels.shape}; "
                 "expected (count, features) and (count,)")
    if not 0 < args.top <= images.shape[1]:
        sys.exit(f"forest_pixels.py: --top {args.top} is not between 1 and the {images.shape[1]} features")
    forest = RandomForestClassifier(n_estimators=args.trees, random_state=args.random_state, n_jobs=args.jobs)
    forest.fit(images, labels)
    # A stable sort, so that features of equal importance keep their order and the choice is reproducible.
    ranked = np.argsort(-forest.feature_importances_, kind="stable")[: args.top]
    np.save(args.out, ranked.astype(np.int64))
    print(f"forest_pixels.py: the {args.top} most important of {images.shape[1]} features "
          f"hold {forest.feature_importances_[ranked].sum():.1%} of the importance")


if __name__ == "__main__":
    main()

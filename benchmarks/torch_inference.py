"""PyTorch side of the batch-1000 inference figure (the shared reference script does not print it).

Uses the reference's own LeNet5 and data loading; runs in the torch virtualenv only.
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent / "shared" / "bench"))
import torch  # noqa: E402
from torch_lenet import LeNet5, load  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data-dir", required=True)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    x, _ = load(a.data_dir, "t10k")
    model = LeNet5().eval()
    with torch.inference_mode():
        model(x[:1000])
        t0 = time.perf_counter()
        for i in range(0, len(x), 1000):
            model(x[i : i + 1000])
        print(f"inference samples/s (batch 1000): {len(x) / (time.perf_counter() - t0):.0f}")


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""crossfix demo model zoo: trains six small Fashion-MNIST classifiers of different families.

Run with Debian's interpreter (python3-torch, python3-numpy from apt):

    /usr/bin/python3 conversion/zoo/train_zoo.py [--only NAME[,NAME]] [--bench]

Writes, relative to the repository root:
  .cache/zoo-onnx/<name>.onnx                       ONNX (opset 13, dynamic batch, 'input' -> 'logits')
  conversion/zoo/training-log.json                  per-model facts, test accuracy, correction pairs
  conversion/zoo/pytorch-predictions/<name>.csv     timm-style test predictions (no header)

Everything is seeded and uses deterministic algorithms, on 2 threads.
"""
import argparse
import gzip
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

SEED = 20240601
# 1 intra-op thread: on the shared 2-core box, 2 OpenMP threads ran 1.5-3x slower (measured).
THREADS = int(os.environ.get('ZOO_THREADS', '1'))
BATCH = 128
OPSET = 13
DATA_DIR = '/usr/share/datasets/fashion-mnist'
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
ZOO_DIR = os.path.join(ROOT, 'conversion', 'zoo')
ONNX_DIR = os.path.join(ROOT, '.cache', 'zoo-onnx')
PRED_DIR = os.path.join(ZOO_DIR, 'pytorch-predictions')
CLASS_NAMES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat',
               'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot']


# ---------------------------------------------------------------- data

def read_idx(path):
    """Decodes a gzipped IDX file (ubyte) into a numpy array."""
    with gzip.open(path, 'rb') as f:
        raw = f.read()
    zero, dtype, ndim = raw[0] * 256 + raw[1], raw[2], raw[3]
    if zero != 0 or dtype != 0x08:
        raise ValueError(f'train_zoo: {path} is not an unsigned-byte IDX file (magic {raw[:4].hex()})')
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], 'big') for i in range(ndim)]
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(dims)):
        raise ValueError(f'train_zoo: {path} holds {data.size} bytes, header says {dims}')
    return data.reshape(dims)


def load_split(split):
    """Returns (images uint8 [N,28,28], labels int64 [N]) of 'train' or 't10k'."""
    x = read_idx(os.path.join(DATA_DIR, f'{split}-images-idx3-ubyte.gz'))
    y = read_idx(os.path.join(DATA_DIR, f'{split}-labels-idx1-ubyte.gz'))
    return x, y.astype(np.int64)


def normalise(x, mean, std):
    """uint8 [N,28,28] -> float32 [N,1,28,28] with (x/255 - mean)/std."""
    t = torch.from_numpy(x.astype(np.float32) / 255.0).unsqueeze(1)
    return (t - mean) / std


# ---------------------------------------------------------------- models

class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(),
                                 nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))

    def forward(self, x):
        return self.net(x)


class LeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 6, 5, padding=2), nn.Tanh(), nn.AvgPool2d(2),
            nn.Conv2d(6, 16, 5), nn.Tanh(), nn.AvgPool2d(2))
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(400, 120), nn.Tanh(),
                                  nn.Linear(120, 84), nn.Tanh(), nn.Linear(84, 10))

    def forward(self, x):
        return self.head(self.features(x))


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.short = None
        if stride != 1 or cin != cout:
            self.short = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return F.relu(y + (x if self.short is None else self.short(x)))


class ResNetMini(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU())
        self.blocks = nn.Sequential(BasicBlock(16, 32, 2), BasicBlock(32, 64, 2), BasicBlock(64, 64, 1))
        self.head = nn.Linear(64, 10)

    def forward(self, x):
        x = self.blocks(self.stem(x))
        return self.head(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


class InvertedResidual(nn.Module):
    """MobileNetV2-style block: pointwise expand, depthwise 3x3, pointwise project (ReLU6, BN)."""

    def __init__(self, cin, cout, stride, expand):
        super().__init__()
        mid = cin * expand
        self.body = nn.Sequential(
            nn.Conv2d(cin, mid, 1, bias=False), nn.BatchNorm2d(mid), nn.ReLU6(),
            nn.Conv2d(mid, mid, 3, stride, 1, groups=mid, bias=False), nn.BatchNorm2d(mid), nn.ReLU6(),
            nn.Conv2d(mid, cout, 1, bias=False), nn.BatchNorm2d(cout))
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        y = self.body(x)
        return x + y if self.residual else y


class MobileNetMini(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, 16, 3, 2, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU6())
        self.blocks = nn.Sequential(
            InvertedResidual(16, 24, 1, 3), InvertedResidual(24, 24, 1, 3),
            InvertedResidual(24, 48, 2, 3), InvertedResidual(48, 48, 1, 3))
        self.last = nn.Sequential(nn.Conv2d(48, 128, 1, bias=False), nn.BatchNorm2d(128), nn.Hardswish())
        self.head = nn.Linear(128, 10)

    def forward(self, x):
        x = self.last(self.blocks(self.stem(x)))
        return self.head(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


class Attention(nn.Module):
    """Multi-head self-attention written with plain ops (constant reshapes, -1 batch)."""

    def __init__(self, dim, heads, tokens):
        super().__init__()
        self.dim, self.heads, self.tokens = dim, heads, tokens
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        hd = self.dim // self.heads
        qkv = self.qkv(x).reshape(-1, self.tokens, 3, self.heads, hd).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        att = torch.softmax(torch.matmul(q, k.transpose(-2, -1)) * (hd ** -0.5), dim=-1)
        y = torch.matmul(att, v).permute(0, 2, 1, 3).reshape(-1, self.tokens, self.dim)
        return self.proj(y)


class TransformerBlock(nn.Module):
    def __init__(self, dim, heads, tokens, hidden):
        super().__init__()
        self.ln1 = nn.LayerNorm(dim)
        self.attn = Attention(dim, heads, tokens)
        self.ln2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, dim))

    def forward(self, x):
        x = x + self.attn(self.ln1(x))
        return x + self.mlp(self.ln2(x))


class ViTMini(nn.Module):
    """Patch-7 ViT: 16 tokens, dim 64, 4 heads, depth 4, learned position embedding, mean pooling."""

    def __init__(self, dim=64, depth=4, heads=4, patch=7):
        super().__init__()
        self.dim, self.tokens = dim, (28 // patch) ** 2
        self.embed = nn.Conv2d(1, dim, patch, patch)
        self.pos = nn.Parameter(torch.zeros(1, self.tokens, dim))
        nn.init.trunc_normal_(self.pos, std=0.02)
        self.blocks = nn.Sequential(*[TransformerBlock(dim, heads, self.tokens, 2 * dim) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, 10)

    def forward(self, x):
        x = self.embed(x).reshape(-1, self.dim, self.tokens).transpose(1, 2) + self.pos
        x = self.norm(self.blocks(x))
        return self.head(x.mean(dim=1))


class ConvNeXtBlock(nn.Module):
    """Depthwise 7x7, channels-last LayerNorm, pointwise 4x expand, GELU, pointwise, layer scale."""

    def __init__(self, dim):
        super().__init__()
        self.dw = nn.Conv2d(dim, dim, 7, padding=3, groups=dim)
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.pw1 = nn.Linear(dim, 4 * dim)
        self.pw2 = nn.Linear(4 * dim, dim)
        self.gamma = nn.Parameter(torch.full((dim,), 0.1))

    def forward(self, x):
        y = self.dw(x).permute(0, 2, 3, 1)
        y = self.pw2(F.gelu(self.pw1(self.norm(y)))) * self.gamma
        return x + y.permute(0, 3, 1, 2)


class LayerNorm2d(nn.LayerNorm):
    def forward(self, x):
        return super().forward(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


class ConvNeXtMini(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, 24, 2, 2), LayerNorm2d(24, eps=1e-6))
        self.stage1 = nn.Sequential(ConvNeXtBlock(24))
        self.down = nn.Sequential(LayerNorm2d(24, eps=1e-6), nn.Conv2d(24, 48, 2, 2))
        self.stage2 = nn.Sequential(ConvNeXtBlock(48), ConvNeXtBlock(48))
        self.norm = nn.LayerNorm(48, eps=1e-6)
        self.head = nn.Linear(48, 10)

    def forward(self, x):
        x = self.stage2(self.down(self.stage1(self.stem(x))))
        return self.head(self.norm(x.mean(dim=(2, 3))))


# name, family, constructor, epochs, peak learning rate
ZOO = [
    ('mlp', 'mlp', MLP, 5, 2e-3),
    ('lenet', 'lenet', LeNet, 4, 3e-3),
    ('resnet-mini', 'resnet', ResNetMini, 2, 3e-3),
    ('mobilenet-mini', 'mobilenet', MobileNetMini, 2, 4e-3),
    ('vit-mini', 'vit', ViTMini, 4, 2e-3),
    ('convnext-mini', 'convnext', ConvNeXtMini, 2, 3e-3),
]


# ---------------------------------------------------------------- train / eval

def blas_name():
    """Which libblas.so.3 this process loaded (build_zoo.sh puts OpenBLAS in front)."""
    with open('/proc/self/maps') as f:
        libs = {line.split()[-1] for line in f if 'libblas.so' in line}
    return 'openblas' if any('openblas' in lib for lib in libs) else 'reference' if libs else 'unknown'


def seed_all(seed):
    torch.manual_seed(seed)
    np.random.seed(seed % (2 ** 32))


def train(model, x, y, epochs, lr, seed, max_batches=None):
    """AdamW + one-cycle cosine schedule; returns per-epoch mean train loss."""
    gen = torch.Generator().manual_seed(seed)
    steps_per_epoch = (len(x) + BATCH - 1) // BATCH
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.05)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=epochs * steps_per_epoch,
                                                pct_start=0.15)
    losses = []
    for _ in range(epochs):
        model.train()
        perm = torch.randperm(len(x), generator=gen)
        total, n = 0.0, 0
        for b in range(steps_per_epoch):
            if max_batches is not None and b >= max_batches:
                break
            idx = perm[b * BATCH:(b + 1) * BATCH]
            loss = F.cross_entropy(model(x[idx]), y[idx], label_smoothing=0.05)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
            n += len(idx)
        losses.append(round(total / max(n, 1), 5))
        print(f'  epoch {len(losses)}/{epochs} loss {losses[-1]:.4f}', flush=True)
    return losses


@torch.no_grad()
def predict(model, x):
    model.eval()
    return torch.cat([model(x[i:i + 1000]) for i in range(0, len(x), 1000)])


def write_predictions(path, logits, targets):
    """timm-style CSV, no header: test-%05d,top1..top5,target (ids equal the ingested sample ids)."""
    top5 = torch.topk(logits, 5, dim=1).indices.numpy()
    with open(path, 'w') as f:
        for i, (row, t) in enumerate(zip(top5, targets)):
            f.write(f'test-{i:05d},' + ','.join(str(int(c)) for c in row) + f',{int(t)}\n')


def export_onnx(model, path):
    model.eval()
    dummy = torch.zeros(2, 1, 28, 28)
    torch.onnx.export(model, dummy, path, opset_version=OPSET, input_names=['input'],
                      output_names=['logits'], dynamic_axes={'input': {0: 'batch'}, 'logits': {0: 'batch'}},
                      do_constant_folding=True)


def correction_pairs(correct):
    """Ordered pairs (A, B) with |F_A ∩ T_B| / |F_A|, highest first."""
    pairs = []
    for a, ca in correct.items():
        for b, cb in correct.items():
            if a == b:
                continue
            fa = ~ca
            n = int(fa.sum())
            fixed = int((fa & cb).sum())
            pairs.append({'a': a, 'b': b, 'errorsA': n, 'correctedByB': fixed,
                          'rate': round(fixed / n, 4) if n else 0.0})
    return sorted(pairs, key=lambda p: (-p['rate'], p['a'], p['b']))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--only', default='', help='comma-separated model names (default: all)')
    ap.add_argument('--bench', action='store_true', help='time 20 training batches per model, write nothing')
    args = ap.parse_args()
    torch.set_num_threads(THREADS)
    torch.use_deterministic_algorithms(True)
    seed_all(SEED)

    xtr_u8, ytr = load_split('train')
    xte_u8, yte = load_split('t10k')
    mean = round(float(xtr_u8.mean() / 255.0), 4)
    std = round(float((xtr_u8 / 255.0).std()), 4)
    xtr, xte = normalise(xtr_u8, mean, std), normalise(xte_u8, mean, std)
    ytr_t, yte_t = torch.from_numpy(ytr), torch.from_numpy(yte)
    print(f'data: train {tuple(xtr.shape)} test {tuple(xte.shape)} mean {mean} std {std}', flush=True)

    only = [s for s in args.only.split(',') if s]
    zoo = [z for z in ZOO if not only or z[0] in only]
    if args.bench:
        for name, _, ctor, epochs, lr in zoo:
            seed_all(SEED)
            m = ctor()
            t0 = time.time()
            train(m, xtr, ytr_t, 1, lr, SEED, max_batches=20)
            per_epoch = (time.time() - t0) / 20 * ((len(xtr) + BATCH - 1) // BATCH)
            print(f'{name}: params {sum(p.numel() for p in m.parameters())} '
                  f'~{per_epoch:.0f}s/epoch, {epochs} epochs ~{per_epoch * epochs:.0f}s', flush=True)
        return

    os.makedirs(ONNX_DIR, exist_ok=True)
    os.makedirs(PRED_DIR, exist_ok=True)
    log_path = os.path.join(ZOO_DIR, 'training-log.json')
    log = {'models': {}}
    if only and os.path.exists(log_path):
        with open(log_path) as f:
            log = json.load(f)
    log.update({'dataset': 'fashion-mnist', 'trainSplit': 'train', 'testSplit': 't10k', 'seed': SEED,
                'threads': THREADS, 'blas': blas_name(), 'batchSize': BATCH, 'opset': OPSET, 'torch': torch.__version__,
                'preprocessing': {'scale': '1/255', 'mean': [mean], 'std': [std]},
                'classNames': CLASS_NAMES})

    for name, family, ctor, epochs, lr in zoo:
        i = [z[0] for z in ZOO].index(name)
        seed_all(SEED + i)
        model = ctor()
        params = sum(p.numel() for p in model.parameters())
        t0 = time.time()
        losses = train(model, xtr, ytr_t, epochs, lr, SEED + i)
        train_s = time.time() - t0
        logits = predict(model, xte)
        correct = int((logits.argmax(1) == yte_t).sum())
        write_predictions(os.path.join(PRED_DIR, f'{name}.csv'), logits, yte)
        onnx_path = os.path.join(ONNX_DIR, f'{name}.onnx')
        export_onnx(model, onnx_path)
        log['models'][name] = {
            'family': family, 'params': params, 'paramBytesFp32': params * 4, 'epochs': epochs,
            'learningRate': lr, 'trainLoss': losses, 'trainSeconds': round(train_s, 1),
            'testCorrect': correct, 'testTotal': len(yte), 'testAccuracy': correct / len(yte),
            'onnxBytes': os.path.getsize(onnx_path)}
        print(f'{name}: params {params} epochs {epochs} loss {losses} train {train_s:.0f}s '
              f'test acc {correct / len(yte):.4f}', flush=True)
        with open(log_path, 'w') as f:
            json.dump(log, f, indent=2)

    correct = {}
    for name in log['models']:
        rows = np.loadtxt(os.path.join(PRED_DIR, f'{name}.csv'), delimiter=',', dtype=str)
        correct[name] = rows[:, 1].astype(int) == rows[:, 6].astype(int)
    pairs = correction_pairs(correct)
    log['correctionPairs'] = pairs
    with open(log_path, 'w') as f:
        json.dump(log, f, indent=2)
    print('top correcting pairs (A wrong, B right) / A wrong:')
    for p in pairs[:10]:
        print(f"  {p['a']:>15} <- {p['b']:<15} {p['correctedByB']:4d}/{p['errorsA']:4d} = {p['rate']:.4f}")


if __name__ == '__main__':
    sys.exit(main())

"""Exports a timm model to ONNX and writes its crossfix model card.

Usage:
  /usr/bin/python3 conversion/export_timm.py MODEL_NAME OUT_DIR [--name NAME] [--opset 17]
      [--num-classes N] [--img-size S] [--random] [--seed 0]

Writes OUT_DIR/model.onnx and OUT_DIR/crossfix-model.json (format crossfix-model/1, graph,
NHWC input, timm's resolved eval data config). Then:
  crossfix convert OUT_DIR/model.onnx --out DIR --card OUT_DIR/crossfix-model.json --check

Pretrained weights are used when timm can fetch them; otherwise (or with --random) the model
is randomly initialised and made input-sensitive: BatchNorm statistics are calibrated on random
batches and the classifier is scaled so that logits spread.
Needs python3-torch (Debian) and timm (pip install --no-deps timm==0.9.16).
"""
import argparse
import json
import os
import re
import sys

import torch
import torch.nn as nn


def load(name, num_classes, img_size, random_init):
    """The model, and whether its weights are pretrained."""
    import timm
    kwargs = {}
    if num_classes is not None:
        kwargs['num_classes'] = num_classes
    if img_size is not None:
        kwargs['img_size'] = img_size
    if not random_init:
        try:
            return timm.create_model(name, pretrained=True, **kwargs), True
        except Exception as e:  # no network or no weights for this tag
            print(f'export_timm: pretrained weights for {name} unavailable ({type(e).__name__}: {e}); using random init',
                  file=sys.stderr)
    return timm.create_model(name, pretrained=False, **kwargs), False


def make_input_sensitive(model, shape, batches=4):
    """BatchNorm running stats from random batches (train-mode forward), classifier scaled to logit std ~3."""
    model.train()
    for m in model.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.reset_running_stats()
            m.momentum = None
    with torch.no_grad():
        for _ in range(batches):
            model(torch.randn(4, *shape))
    model.eval()
    head = model.get_classifier() if hasattr(model, 'get_classifier') else None
    if not isinstance(head, nn.Linear):
        linears = [m for m in model.modules() if isinstance(m, (nn.Linear, nn.Conv2d))]
        head = linears[-1]
    with torch.no_grad():
        std = model(torch.randn(8, *shape)).std().item()
        if std > 0:
            head.weight.mul_(3.0 / std)
            if head.bias is not None:
                head.bias.mul_(3.0 / std)


def card_for(name, card_name, model, cfg, pretrained):
    """crossfix-model/1 card from timm's resolved data config."""
    c, h, w = cfg['input_size']
    interpolation = cfg.get('interpolation', 'bilinear')
    if interpolation not in ('bicubic', 'bilinear', 'nearest', 'box', 'lanczos'):
        interpolation = 'bilinear'
    if cfg.get('crop_mode', 'center') != 'center':
        raise SystemExit(f"export_timm: {name} uses crop_mode {cfg.get('crop_mode')}; crossfix supports only 'center'")
    return {
        'format': 'crossfix-model/1',
        'name': card_name,
        'family': re.split(r'[_\d]', name)[0] or 'unknown',
        'source': f'timm:{name}' + ('' if pretrained else ' (random init)'),
        'input': {'height': h, 'width': w, 'channels': c, 'layout': 'NHWC'},
        'preprocessing': {
            'interpolation': interpolation,
            'cropFraction': float(cfg.get('crop_pct', 1.0)),
            'cropMode': 'center',
            'mean': [float(v) for v in cfg['mean']],
            'std': [float(v) for v in cfg['std']],
        },
        'numClasses': int(model.num_classes),
        'output': 'logits',
        'modelFormat': 'graph',
    }


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('model')
    p.add_argument('out')
    p.add_argument('--name', help='registry name (default: the timm name, lower-cased)')
    p.add_argument('--opset', type=int, default=17)
    p.add_argument('--num-classes', type=int)
    p.add_argument('--img-size', type=int)
    p.add_argument('--random', action='store_true', help='skip pretrained weights')
    p.add_argument('--seed', type=int, default=0)
    a = p.parse_args(argv)

    import timm
    torch.manual_seed(a.seed)
    model, pretrained = load(a.model, a.num_classes, a.img_size, a.random)
    cfg = timm.data.resolve_data_config({}, model=model)
    shape = tuple(cfg['input_size'])
    if not pretrained:
        make_input_sensitive(model, shape)
    model.eval()

    os.makedirs(a.out, exist_ok=True)
    onnx_path = os.path.join(a.out, 'model.onnx')
    torch.onnx.export(model, torch.randn(2, *shape), onnx_path, opset_version=a.opset, input_names=['input'],
                      output_names=['logits'], dynamic_axes={'input': {0: 'batch'}, 'logits': {0: 'batch'}},
                      do_constant_folding=True)
    card_name = (a.name or a.model).lower()
    card_name = re.sub(r'[^a-z0-9._-]', '-', card_name)
    card = card_for(a.model, card_name, model, cfg, pretrained)
    with open(os.path.join(a.out, 'crossfix-model.json'), 'w') as f:
        json.dump(card, f, indent=2)
        f.write('\n')
    print(json.dumps({'onnx': onnx_path, 'card': os.path.join(a.out, 'crossfix-model.json'), 'pretrained': pretrained,
                      'timm': timm.__version__, 'torch': torch.__version__}))


if __name__ == '__main__':
    main()

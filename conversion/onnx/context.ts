/**
 * What an op converter sees: the ONNX node, its converted inputs, the graph builder, and the
 * one error every unconvertible op or attribute raises. Pure module.
 */
import type { AttrValue, OnnxNode } from './decode.js';
import type { GraphBuilder, TfVal, Val } from './builder.js';
import { nums, type ConstT, type Dim } from './tensor.js';

/** Raised for an op or attribute crossfix cannot convert exactly. */
export class UnsupportedOpError extends Error {
  override name = 'UnsupportedOpError';
}

/** The converter's view of one node. */
export class OpContext {
  constructor(
    readonly b: GraphBuilder,
    readonly node: OnnxNode,
    readonly opset: number,
    readonly inputs: (Val | undefined)[],
  ) {}

  /** Base name for the TF nodes this op emits. */
  get base(): string {
    return this.node.name.replace(/^\//, '') || this.node.op;
  }

  /** Throws the converter's single unsupported-op error, with an optional reason. */
  fail(reason?: string): never {
    const { name, op } = this.node;
    const why = reason ? ` (${reason})` : '';
    throw new UnsupportedOpError(`convert: node "${name}" uses op ${op} (opset ${this.opset}), which crossfix cannot convert${why}`);
  }

  /** Input i, which must be present. */
  in(i: number): Val {
    const v = this.inputs[i];
    if (!v) this.fail(`input ${i} is missing`);
    return v;
  }

  /** Input i when given (ONNX optional inputs are empty names). */
  opt(i: number): Val | undefined {
    return this.inputs[i];
  }

  /** Input i as a constant; fails when it is computed at run time. */
  constIn(i: number, what: string): ConstT {
    const v = this.in(i);
    if (v.kind !== 'const') this.fail(`${what} must be a constant`);
    return v.t;
  }

  /** Input i as static integers. */
  intsIn(i: number, what: string): number[] {
    try {
      return nums(this.constIn(i, what), what);
    } catch (e) {
      if (e instanceof UnsupportedOpError) throw e;
      return this.fail(`${what} must be static`);
    }
  }

  /** Input i as a TF tensor. */
  tfIn(i: number): TfVal {
    return this.b.tf(this.in(i), `${this.base}/in${i}`);
  }

  /** An integer attribute. */
  int(name: string, dflt: number): number {
    const v = this.node.attrs[name];
    return typeof v === 'number' ? v : dflt;
  }

  /** A float attribute. */
  float(name: string, dflt: number): number {
    return this.int(name, dflt);
  }

  /** An integer-list attribute. */
  ints(name: string): number[] | undefined {
    const v = this.node.attrs[name];
    return Array.isArray(v) ? (v as number[]) : undefined;
  }

  /** A string attribute. */
  str(name: string, dflt: string): string {
    const v = this.node.attrs[name];
    return typeof v === 'string' ? v : dflt;
  }

  /** Any attribute. */
  attr(name: string): AttrValue | undefined {
    return this.node.attrs[name];
  }

  /** Shape of an input (ONNX axis order). */
  shapeOf(i: number): Dim[] {
    const v = this.in(i);
    return v.kind === 'tf' ? v.shape : v.t.shape;
  }
}

/** Converts one ONNX node into TF nodes; returns its outputs. */
export type OpConverter = (c: OpContext) => Val[];

/** Rank of a value. */
export const rankOf = (v: Val): number => (v.kind === 'tf' ? v.shape.length : v.t.shape.length);

/** Shape of a value (ONNX order). */
export const shapeOf = (v: Val): Dim[] => (v.kind === 'tf' ? v.shape : v.t.shape);

/** Normalises a possibly negative axis. */
export const normAxis = (ax: number, r: number): number => (ax < 0 ? ax + r : ax);

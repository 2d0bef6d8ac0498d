/** Ops a projection (linear layer) can be. */
export type ProjectionOp = 'MatMul' | 'Gemm' | 'MatMulNBits';

/** One linear layer as found in the graph. */
export interface ProjectionAnatomy {
  /** Node name. */
  node: string;
  opType: ProjectionOp;
  /** Initializer holding the weight (for MatMulNBits, the packed `uint8` blocks). */
  weight: string;
  /**
   * True when the stored initializer is `[in, out]` (MatMul's right operand, i.e. transposed relative to
   * `nn.Linear`); false when it is `[out, in]` (read through a Transpose node, `Gemm transB=1`, MatMulNBits).
   */
  transposed: boolean;
  /** Nodes between the initializer and the projection (Transpose, Cast, Identity), in dataflow order. */
  weightPath: string[];
  inFeatures: number;
  outFeatures: number;
  /** The activation input value of the node. */
  input: string;
  /** The node's output value (before any bias Add). */
  output: string;
  /** Bias initializer: Gemm's C, MatMulNBits' bias, or a following `Add` with a 1-D initializer (`biasNode`). */
  bias?: string;
  biasNode?: string;
  /** MatMulNBits only. */
  quantization?: { bits: number; blockSize: number; scales: string; zeroPoints?: string };
}

export type NormKind =
  /** Pow/ReduceMean/Add/Sqrt/(Div|Reciprocal)/Mul/Mul, as torch exports HF LlamaRMSNorm. */
  | 'rms-decomposed'
  /** ORT contrib `SimplifiedLayerNormalization` (onnx domain). */
  | 'simplified-layer-norm'
  /** `com.microsoft` `SkipSimplifiedLayerNormalization`: residual add then RMSNorm. */
  | 'skip-simplified-layer-norm'
  /** ONNX opset 23 `RMSNormalization`. */
  | 'rms-normalization';

export interface NormAnatomy {
  kind: NormKind;
  /** The pattern's nodes; the first is the one that reads the input. */
  nodes: string[];
  weight: string;
  epsilon: number;
  /** The value normalised (the residual stream); for the skip kind, the two addends are in `skipInputs`. */
  input: string;
  /** The normalised output, what the projections read. */
  output: string;
  /** Skip kind: `[input, skip]`, the residual and the branch output that the node adds. */
  skipInputs?: [string, string];
  /** Skip kind: output 3, the residual sum, or undefined when the node does not expose it. */
  sum?: string;
}

export type AttentionKind = 'decomposed' | 'gqa' | 'mha';

export interface AttentionAnatomy {
  kind: AttentionKind;
  /** Core nodes: the GQA / MHA node, or the scores MatMul, Softmax and context MatMul. */
  nodes: string[];
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  /** The value that feeds o_proj's node (after any Transpose/Reshape). */
  output: string;
}

export type RotaryKind =
  /** Inside GroupQueryAttention (`do_rotary=1`). */
  | 'gqa'
  /** `com.microsoft` `RotaryEmbedding` nodes on q and k. */
  | 'rotary-embedding'
  /** Mul/Slice/Neg/Concat/Add on q and k with cos/sin values. */
  | 'decomposed'
  /** No rotary pattern found on q. */
  | 'none';

export interface RotaryAnatomy {
  kind: RotaryKind;
  nodes: string[];
  /** `[maxPositions, rotaryDim/2]` (GQA, RotaryEmbedding) or the initializer a decomposed graph gathers from. */
  cosCache?: string;
  sinCache?: string;
  /** Decomposed: the cos / sin values multiplied with q. */
  cos?: string;
  sin?: string;
  /** Decomposed: true when cos/sin are computed in the graph (Cos/Sin nodes), not gathered from caches. */
  computed?: boolean;
  interleaved: boolean;
}

export interface KvNames {
  key: string;
  value: string;
}

export interface MlpActivation {
  /** `silu`: `gate · sigmoid(gate)`, multiplied with up (SwiGLU). */
  kind: 'silu';
  nodes: string[];
}

export interface LayerAnatomy {
  index: number;
  inputNorm: NormAnatomy;
  q: ProjectionAnatomy;
  k: ProjectionAnatomy;
  v: ProjectionAnatomy;
  o: ProjectionAnatomy;
  attention: AttentionAnatomy;
  rotary: RotaryAnatomy;
  postAttentionNorm: NormAnatomy;
  gate: ProjectionAnatomy;
  up: ProjectionAnatomy;
  down: ProjectionAnatomy;
  activation: MlpActivation;
  /**
   * Residual-stream values. `entry` is the hidden state the block reads, `afterAttention` the sum after the
   * attention branch, `exit` the sum after the MLP branch (= next block's `entry`). In fused graphs a sum lives
   * inside a SkipSimplifiedLayerNormalization (output 3): it is undefined when the node does not expose it, and
   * `exitAddends` names what is added.
   */
  residual: {
    entry: string;
    afterAttention: string | undefined;
    exit: string | undefined;
    exitAddends: [string, string];
    /** Nodes that perform the two residual adds (Add or SkipSimplifiedLayerNormalization). */
    nodes: [string, string];
  };
  /** Graph inputs/outputs for this layer's cache, if the graph has them. */
  past?: KvNames;
  present?: KvNames;
}

export interface EmbeddingAnatomy {
  node: string;
  weight: string;
  vocabSize: number;
  hiddenSize: number;
  output: string;
}

export interface LmHeadAnatomy extends ProjectionAnatomy {
  /** True when the weight is the embedding initializer itself. */
  tied: boolean;
}

/** The Optimum decoder I/O as found in the graph. */
export interface DecoderIo {
  inputIds: string;
  attentionMask?: string;
  positionIds?: string;
  logits: string;
  past: (KvNames | undefined)[];
  present: (KvNames | undefined)[];
}

/** What `findDecoderAnatomy` finds in a Llama-family decoder graph. */
export interface DecoderAnatomy {
  embedding: EmbeddingAnatomy;
  layers: LayerAnatomy[];
  finalNorm: NormAnatomy;
  lmHead: LmHeadAnatomy;
  io: DecoderIo;
  /** Shape facts read from the graph (uniform across layers, else the first layer's). */
  config: {
    vocabSize: number;
    hiddenSize: number;
    numLayers: number;
    numHeads: number;
    numKvHeads: number;
    headDim: number;
    intermediateSize: number;
  };
}

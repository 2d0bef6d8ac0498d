"""Exports a tiny HF-style Llama with torch.onnx (TorchScript exporter, opset 17) in the Optimum decoder layout.

The modules mirror transformers' modeling_llama.py (LlamaRMSNorm, LlamaRotaryEmbedding with attention_scaling,
rotate_half / apply_rotary_pos_emb, repeat_kv, eager attention, SiLU MLP, a causal + padding mask built from
attention_mask and the cache position, lm_head on hidden[:, -logits_to_keep:, :]) so that findDecoderAnatomy is
tested on what torch really emits, not on @x's own builder. transformers itself is not installable here, hence the
copy of its forward logic. Writes torch-llama-tiny.onnx and torch-llama-tiny.golden.json (torch logits for a fixed
prompt, prefill then one decode step).

Run: /usr/bin/python3 make-torch-llama.py   (Debian python3-torch 1.13.1), then `npx biome check --write` on the JSON.
"""

import json
import math
import os

import torch
from torch import nn

CONFIG = dict(vocab=40, hidden=16, layers=2, heads=4, kv_heads=2, head_dim=4, intermediate=24, eps=1e-6, theta=10000.0)


class LlamaRMSNorm(nn.Module):
    def __init__(self, hidden, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(hidden))
        self.variance_epsilon = eps

    def forward(self, hidden_states):
        input_dtype = hidden_states.dtype
        hidden_states = hidden_states.to(torch.float32)
        variance = hidden_states.pow(2).mean(-1, keepdim=True)
        hidden_states = hidden_states * torch.rsqrt(variance + self.variance_epsilon)
        return self.weight * hidden_states.to(input_dtype)


class LlamaRotaryEmbedding(nn.Module):
    def __init__(self, dim, base):
        super().__init__()
        inv_freq = 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.int64).float() / dim))
        self.register_buffer("inv_freq", inv_freq, persistent=False)
        self.attention_scaling = 1.0

    def forward(self, x, position_ids):
        inv_freq_expanded = self.inv_freq[None, :, None].float().expand(position_ids.shape[0], -1, 1)
        position_ids_expanded = position_ids[:, None, :].float()
        freqs = (inv_freq_expanded.float() @ position_ids_expanded.float()).transpose(1, 2)
        emb = torch.cat((freqs, freqs), dim=-1)
        cos = emb.cos() * self.attention_scaling
        sin = emb.sin() * self.attention_scaling
        return cos.to(dtype=x.dtype), sin.to(dtype=x.dtype)


def rotate_half(x):
    x1 = x[..., : x.shape[-1] // 2]
    x2 = x[..., x.shape[-1] // 2 :]
    return torch.cat((-x2, x1), dim=-1)


def apply_rotary_pos_emb(q, k, cos, sin):
    cos = cos.unsqueeze(1)
    sin = sin.unsqueeze(1)
    return (q * cos) + (rotate_half(q) * sin), (k * cos) + (rotate_half(k) * sin)


def repeat_kv(hidden_states, n_rep):
    batch, num_key_value_heads, slen, head_dim = hidden_states.shape
    if n_rep == 1:
        return hidden_states
    hidden_states = hidden_states[:, :, None, :, :].expand(batch, num_key_value_heads, n_rep, slen, head_dim)
    return hidden_states.reshape(batch, num_key_value_heads * n_rep, slen, head_dim)


class LlamaAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.head_dim = c["head_dim"]
        self.groups = c["heads"] // c["kv_heads"]
        self.scaling = self.head_dim**-0.5
        self.q_proj = nn.Linear(c["hidden"], c["heads"] * self.head_dim, bias=False)
        self.k_proj = nn.Linear(c["hidden"], c["kv_heads"] * self.head_dim, bias=False)
        self.v_proj = nn.Linear(c["hidden"], c["kv_heads"] * self.head_dim, bias=False)
        self.o_proj = nn.Linear(c["heads"] * self.head_dim, c["hidden"], bias=False)

    def forward(self, hidden_states, cos, sin, mask, past_key, past_value):
        input_shape = hidden_states.shape[:-1]
        hidden_shape = (*input_shape, -1, self.head_dim)
        q = self.q_proj(hidden_states).view(hidden_shape).transpose(1, 2)
        k = self.k_proj(hidden_states).view(hidden_shape).transpose(1, 2)
        v = self.v_proj(hidden_states).view(hidden_shape).transpose(1, 2)
        q, k = apply_rotary_pos_emb(q, k, cos, sin)
        k = torch.cat([past_key, k], dim=-2)  # DynamicCache.update
        v = torch.cat([past_value, v], dim=-2)
        key_states = repeat_kv(k, self.groups)
        value_states = repeat_kv(v, self.groups)
        attn_weights = torch.matmul(q, key_states.transpose(2, 3)) * self.scaling
        attn_weights = attn_weights + mask[:, :, :, : key_states.shape[-2]]
        attn_weights = nn.functional.softmax(attn_weights, dim=-1, dtype=torch.float32).to(q.dtype)
        attn_weights = nn.functional.dropout(attn_weights, p=0.0, training=False)
        attn_output = torch.matmul(attn_weights, value_states).transpose(1, 2).contiguous()
        attn_output = attn_output.reshape(*input_shape, -1).contiguous()
        return self.o_proj(attn_output), k, v


class LlamaMLP(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.gate_proj = nn.Linear(c["hidden"], c["intermediate"], bias=False)
        self.up_proj = nn.Linear(c["hidden"], c["intermediate"], bias=False)
        self.down_proj = nn.Linear(c["intermediate"], c["hidden"], bias=False)
        self.act_fn = nn.SiLU()

    def forward(self, x):
        return self.down_proj(self.act_fn(self.gate_proj(x)) * self.up_proj(x))


class LlamaDecoderLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.self_attn = LlamaAttention(c)
        self.mlp = LlamaMLP(c)
        self.input_layernorm = LlamaRMSNorm(c["hidden"], c["eps"])
        self.post_attention_layernorm = LlamaRMSNorm(c["hidden"], c["eps"])

    def forward(self, hidden_states, cos, sin, mask, past_key, past_value):
        residual = hidden_states
        hidden_states = self.input_layernorm(hidden_states)
        hidden_states, key, value = self.self_attn(hidden_states, cos, sin, mask, past_key, past_value)
        hidden_states = residual + hidden_states
        residual = hidden_states
        hidden_states = self.post_attention_layernorm(hidden_states)
        hidden_states = self.mlp(hidden_states)
        return residual + hidden_states, key, value


class LlamaModel(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embed_tokens = nn.Embedding(c["vocab"], c["hidden"])
        self.layers = nn.ModuleList([LlamaDecoderLayer(c) for _ in range(c["layers"])])
        self.norm = LlamaRMSNorm(c["hidden"], c["eps"])
        self.rotary_emb = LlamaRotaryEmbedding(c["head_dim"], c["theta"])


class LlamaForCausalLM(nn.Module):
    """Takes the Optimum flat inputs, returns logits then present.{i}.key/value."""

    def __init__(self, c):
        super().__init__()
        self.model = LlamaModel(c)
        self.lm_head = nn.Linear(c["hidden"], c["vocab"], bias=False)

    def forward(self, input_ids, attention_mask, position_ids, *past):
        hidden_states = self.model.embed_tokens(input_ids)
        sequence_length = input_ids.shape[1]
        target_length = attention_mask.shape[1]
        past_length = target_length - sequence_length
        cache_position = torch.arange(past_length, target_length, device=input_ids.device)
        # transformers' _prepare_4d_causal_attention_mask_with_cache_position
        min_dtype = torch.finfo(hidden_states.dtype).min
        causal_mask = torch.full((sequence_length, target_length), fill_value=min_dtype, dtype=hidden_states.dtype)
        causal_mask = torch.triu(causal_mask, diagonal=1)
        causal_mask *= torch.arange(target_length) > cache_position.reshape(-1, 1)
        causal_mask = causal_mask[None, None, :, :].expand(input_ids.shape[0], 1, -1, -1)
        padding_mask = causal_mask + attention_mask[:, None, None, :].to(causal_mask.dtype)
        causal_mask = causal_mask.masked_fill(padding_mask == 0, min_dtype)
        cos, sin = self.model.rotary_emb(hidden_states, position_ids)
        presents = []
        for i, layer in enumerate(self.model.layers):
            hidden_states, key, value = layer(hidden_states, cos, sin, causal_mask, past[2 * i], past[2 * i + 1])
            presents += [key, value]
        hidden_states = self.model.norm(hidden_states)
        logits_to_keep = 0
        logits = self.lm_head(hidden_states[:, slice(-logits_to_keep, None), :])
        return (logits, *presents)


def main():
    torch.manual_seed(20261124)
    c = CONFIG
    model = LlamaForCausalLM(c).eval()
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if name.endswith("layernorm.weight") or name == "model.norm.weight":
                parameter.copy_(1 + 0.1 * torch.randn_like(parameter))
    here = os.path.dirname(os.path.abspath(__file__))
    layers = c["layers"]
    input_names = ["input_ids", "attention_mask", "position_ids"]
    output_names = ["logits"]
    dynamic_axes = {
        "input_ids": {0: "batch_size", 1: "sequence_length"},
        "attention_mask": {0: "batch_size", 1: "past_sequence_length + 1"},
        "position_ids": {0: "batch_size", 1: "sequence_length"},
        "logits": {0: "batch_size", 1: "sequence_length"},
    }
    for i in range(layers):
        for kind in ("key", "value"):
            input_names.append(f"past_key_values.{i}.{kind}")
            output_names.append(f"present.{i}.{kind}")
            dynamic_axes[f"past_key_values.{i}.{kind}"] = {0: "batch_size", 2: "past_sequence_length"}
            dynamic_axes[f"present.{i}.{kind}"] = {0: "batch_size", 2: "past_sequence_length + 1"}

    def empty_past(batch, length):
        return [torch.zeros(batch, c["kv_heads"], length, c["head_dim"]) for _ in range(2 * layers)]

    # Trace with a non-empty past so the Concat and mask paths are general.
    example = (
        torch.tensor([[1, 2, 3], [4, 5, 6]]),
        torch.ones(2, 5, dtype=torch.int64),
        torch.tensor([[2, 3, 4], [2, 3, 4]]),
        *empty_past(2, 2),
    )
    torch.onnx.export(
        model,
        example,
        os.path.join(here, "torch-llama-tiny.onnx"),
        input_names=input_names,
        output_names=output_names,
        dynamic_axes=dynamic_axes,
        opset_version=17,
        do_constant_folding=True,
    )

    prompt = [[7, 3, 19, 38, 0], [25, 11, 2, 9, 31]]
    with torch.no_grad():
        ids = torch.tensor(prompt)
        out = model(ids, torch.ones(2, 5, dtype=torch.int64), torch.arange(5).repeat(2, 1), *empty_past(2, 0))
        step_ids = torch.tensor([[14], [5]])
        step = model(step_ids, torch.ones(2, 6, dtype=torch.int64), torch.tensor([[5], [5]]), *out[1:])
    golden = {
        "config": c,
        "prompt": prompt,
        "logits": out[0].flatten().tolist(),
        "step_ids": [[14], [5]],
        "step_logits": step[0].flatten().tolist(),
    }
    with open(os.path.join(here, "torch-llama-tiny.golden.json"), "w") as f:
        json.dump(golden, f)
    print("exported", math.fsum(p.numel() for p in model.parameters()), "parameters")


if __name__ == "__main__":
    main()

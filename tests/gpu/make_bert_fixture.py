"""Makes tests/samples/bert/: two random-weight encoders and Hugging Face transformers' outputs
for them, the reference kvchain's BERT-family encoder is tested against (tests/engine/
test_bert_model.cpp, tests/retrievers/test_dense_index.cpp).

Run where transformers is installed (the GPU machine's Python; the CPU suffices):
    python3 tests/gpu/make_bert_fixture.py OUT_DIR

- bert/: a BertModel (2 layers, hidden 32, 4 heads, GELU, post-LN, absolute positions) over
  bert-base-uncased's 30,522 ids, stored in bfloat16 (small) and run in float32; with the
  WordPiece tokenizer of tests/samples/tokenizers/bert (its ids, its [CLS] ... [SEP]).
- xlmr/: an XLMRobertaModel of the same shape over 1,000 ids (positions counted from
  pad_token_id + 1, one token type), fed ids directly.
- reference.json: per text the ids HF's tokenizer gives (special tokens added), the last hidden
  states, CLS and mean pooled L2-normalised vectors; the same for id lists through xlmr; and for
  a small corpus with E5's "query: " / "passage: " prefixes and mean pooling, each query's top 5
  passages by inner product (exact search, as FAISS's flat index does).
"""
import json
import os
import shutil
import sys

import torch
from tokenizers import Tokenizer
from transformers import BertConfig, BertModel, XLMRobertaConfig, XLMRobertaModel

out = sys.argv[1]
here = os.path.dirname(os.path.abspath(__file__))
tokenizer_path = os.path.join(here, "..", "samples", "tokenizers", "bert", "tokenizer.json")
torch.manual_seed(0)
shape = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64,
             max_position_embeddings=128, hidden_act="gelu", hidden_dropout_prob=0.0,
             attention_probs_dropout_prob=0.0)


def randomize(model):
    # Every weight drawn (LayerNorm's around 1), then rounded to bfloat16: the stored values.
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "LayerNorm.weight" in name:
                p.copy_(1 + 0.1 * torch.randn_like(p))
            else:
                p.copy_(0.2 * torch.randn_like(p))
            p.copy_(p.to(torch.bfloat16).to(torch.float32))
    return model.eval()


def save(model, name):
    path = os.path.join(out, name)
    model.to(torch.bfloat16).save_pretrained(path)
    model.to(torch.float32)
    return path


def run(model, rows):
    # One padded batch with its attention mask, as an encoder batches; each row unpadded after.
    width = max(len(r) for r in rows)
    pad = model.config.pad_token_id or 0
    ids = torch.tensor([r + [pad] * (width - len(r)) for r in rows])
    mask = torch.tensor([[1] * len(r) + [0] * (width - len(r)) for r in rows])
    with torch.no_grad():
        hidden = model(input_ids=ids, attention_mask=mask).last_hidden_state
    results = []
    for i, r in enumerate(rows):
        h = hidden[i, : len(r)]
        results.append({
            "ids": r,
            "hidden": h.tolist(),
            "cls": torch.nn.functional.normalize(h[0], dim=0).tolist(),
            "mean": torch.nn.functional.normalize(h.mean(0), dim=0).tolist(),
        })
    return results


tokenizer = Tokenizer.from_file(tokenizer_path)
texts = ["The cat sat on the mat.", "Hello, world!", "Where was Xavi Piman born?",
         "Café déjà vu: naïve résumé", "unbelievably long compound-words, don't they?", "a"]
bert = randomize(BertModel(BertConfig(vocab_size=30522, type_vocab_size=2, **shape)))
save(bert, "bert")
xlmr = randomize(XLMRobertaModel(XLMRobertaConfig(vocab_size=1000, type_vocab_size=1,
                                                  pad_token_id=1, bos_token_id=0,
                                                  eos_token_id=2, layer_norm_eps=1e-5,
                                                  **shape)))
save(xlmr, "xlmr")
shutil.copy(tokenizer_path, os.path.join(out, "bert", "tokenizer.json"))

encoded = [tokenizer.encode(t).ids for t in texts]
gen = torch.Generator().manual_seed(1)
id_rows = [[0] + torch.randint(3, 1000, (n,), generator=gen).tolist() + [2] for n in (5, 12, 1, 30)]

queries = ["Where was the painter born?", "Which company builds aircraft?", "What does Delia do?"]
passages = ["The painter Ana Veig was born in New Narwick.", "Sageith Airways builds aircraft.",
            "Delia Numom works as a film director.", "The river floods every spring.",
            "Meteim Labs makes software.", "Zeno Piman is a journalist in Veigrad Falls.",
            "Aircraft are built in Stiva.", "New Narwick lies on the coast.",
            "Film directors in Veigrad work late.", "A painter's birthplace is often a village."]


def mean_vectors(strings):
    rows = [tokenizer.encode(s).ids for s in strings]
    return torch.tensor([r["mean"] for r in run(bert, rows)])


q = mean_vectors(["query: " + s for s in queries])
p = mean_vectors(["passage: " + s for s in passages])
scores = q @ p.T
top = scores.topk(5, dim=1)
search = [{"query": queries[i], "top": top.indices[i].tolist(), "scores": top.values[i].tolist()}
          for i in range(len(queries))]

reference = {"transformers": __import__("transformers").__version__, "torch": torch.__version__,
             "texts": [dict(text=t, **r) for t, r in zip(texts, run(bert, encoded))],
             "xlmr": run(xlmr, id_rows),
             "search": {"query_prefix": "query: ", "passage_prefix": "passage: ",
                        "pooling": "mean", "passages": passages, "queries": search}}
with open(os.path.join(out, "reference.json"), "w") as f:
    json.dump(reference, f)
print("wrote", out, "transformers", reference["transformers"])

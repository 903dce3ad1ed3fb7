// Deterministic generator of tokenizer test strings -> strings.jsonl
// Also exports helpers used by timing (prose builder, random word).
'use strict';
const fs = require('fs');
const path = require('path');

function mulberry32(seed) {
  return function () {
    seed |= 0; seed = (seed + 0x6D2B79F5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PROSE = [
  'The quick brown fox jumps over the lazy dog.',
  'It was the best of times, it was the worst of times.',
  "I can't believe it's already Tuesday; we'll have to hurry.",
  "She said: \"Don't touch that!\" and walked away.",
  'In 1969, Neil Armstrong became the first person to walk on the Moon.',
  'Machine learning models require large amounts of training data.',
  "The committee's decision, which surprised everyone, was final.",
  'Please send the report to john.doe@example.com by Friday.',
  'Visit https://www.example.org/path?query=1&lang=en for details.',
  'Hello, world! How are you doing today?',
  "They're going to the market, aren't they?",
  'The price rose from $12.50 to $13.75 (an increase of 10%).',
  'Tokenization splits text into smaller units called tokens.',
  'A journey of a thousand miles begins with a single step.',
  'Photosynthesis converts light energy into chemical energy.',
  "We've been waiting for hours... Where IS everyone?",
  'The meeting is scheduled for 3:30 PM on March 15th, 2024.',
  'Mr. Smith and Dr. Jones arrived at 9 a.m. sharp.',
  'E-mail, e-commerce, and co-operation are hyphenated words.',
  'Supercalifragilisticexpialidocious is a very long word.',
  'The U.S.A. and the U.K. signed the agreement.',
  'Rock-and-roll music became popular in the 1950s.',
  "I'd've gone if I'd known; you'll see, they'd agree.",
  'Whether the weather is cold or hot, we weather the weather.',
  'CamelCaseIdentifiersAreCommon in programming languages.',
  'ALL CAPS TEXT SHOULD ALSO BE TOKENIZED CORRECTLY.',
  'Numbers like 42, 3.14, and 1,000,000 appear frequently.',
  'The river flows quietly through the ancient valley at dawn.',
  'Economists debate whether inflation will persist next year.',
  'Her favorite books include "Pride and Prejudice" and "Emma".',
  'Wait -- what did you just say?! That\'s incredible!!!',
  'The password must contain: uppercase, lowercase, & digits.',
  'Children played in the park while their parents chatted nearby.',
  'The algorithm runs in O(n log n) time on average.',
  'He whispered, "Is anybody there?" but nobody answered.',
  "Don't, won't, shouldn't, couldn't, wouldn't, isn't.",
  "THE CAT'S TOY; THEY'RE HERE; WE'VE DONE IT; I'M SURE; YOU'LL SEE; HE'D GO.",
  'Scientists discovered a new species of frog in the rainforest.',
  'The stock market closed 2.3% higher on Thursday afternoon.',
  'Bread, butter, milk, eggs, and cheese were on the list.',
];

function sentenceStream(rng) {
  return () => PROSE[Math.floor(rng() * PROSE.length)];
}

function buildProse(nBytes, seed) {
  const rng = mulberry32(seed);
  const next = sentenceStream(rng);
  const parts = [];
  let len = 0, sinceBreak = 0;
  while (len < nBytes) {
    let s = next();
    let sep = ' ';
    sinceBreak++;
    if (sinceBreak > 4 && rng() < 0.15) { sep = '\n\n'; sinceBreak = 0; }
    const piece = (parts.length ? sep : '') + s;
    parts.push(piece);
    len += Buffer.byteLength(piece, 'utf8');
  }
  let out = parts.join('');
  // trim to exactly nBytes (ASCII prose, so chars == bytes)
  return out.slice(0, nBytes);
}

function randomWord(n, seed) {
  const rng = mulberry32(seed);
  let s = '';
  for (let i = 0; i < n; i++) s += String.fromCharCode(97 + Math.floor(rng() * 26));
  return s;
}

function main() {
  const rng = mulberry32(12345);
  const pick = (arr) => arr[Math.floor(rng() * arr.length)];
  const S = [];
  const add = (t) => S.push(t);

  // --- edge cases
  add(''); add(' '); add('  '); add('   '); add('\t'); add('\n'); add('\n\n'); add('\r\n'); add(' \n '); add('a');
  add('▁'); add('▁▁'); add('▁hello'); add('hello▁world'); add('▁ ▁'); add(' ▁▁ x'); add('a▁b▁c');

  // --- English prose
  for (const p of PROSE) add(p);
  for (let i = 0; i < 20; i++) add(pick(PROSE) + ' ' + pick(PROSE));
  add(PROSE.slice(0, 6).join('\n'));
  add(PROSE.slice(6, 12).join('\n\n'));

  // --- code
  const code = [
    'def foo(x):\n    return x * 2\n',
    'def fib(n):\n    if n < 2:\n        return n\n    return fib(n - 1) + fib(n - 2)\n\nprint(fib(10))',
    'class Foo:\n    def __init__(self, a, b=None):\n        self.a = a\n        self._b = b or {}\n',
    'import numpy as np\narr = np.zeros((3, 4), dtype=np.float32)\nprint(arr.shape)',
    'for i in range(10):\n\tif i % 2 == 0:\n\t\tprint(i)\n',
    '#include <iostream>\n\nint main() {\n    std::cout << "Hello, World!" << std::endl;\n    return 0;\n}\n',
    'template <typename T>\nstruct Vec {\n\tT* data;\n\tsize_t size;\n\tT& operator[](size_t i) { return data[i]; }\n};',
    'int main(int argc, char** argv) {\n\tfor (int i = 0; i < argc; ++i) {\n\t\tprintf("%s\\n", argv[i]);\n\t}\n}',
    'if (x != nullptr && x->next) { x = x->next; } else { return -1; }',
    'const auto it = std::find_if(v.begin(), v.end(), [&](const auto& e) { return e.id == 42; });',
    'x+=1;y-=2;z*=3;w/=4;a<<=1;b>>=2;c&&=d||e;',
    '    indented with four spaces',
    '\t\tindented with two tabs',
    '        eight spaces then code();',
    'SELECT id, name FROM users WHERE age >= 18 ORDER BY name DESC;',
    '{"key": "value", "list": [1, 2, 3], "nested": {"a": null, "b": true}}',
    '<div class="container"><p>Hello &amp; welcome</p></div>',
    'function add(a, b) {\r\n  return a + b;\r\n}\r\n',
    '#!/bin/bash\nset -euo pipefail\necho "$HOME" | grep -E \'^/home\' && exit 0',
    'let v: Vec<u32> = (0..10).map(|x| x * x).collect();',
    '// comment\n/* block\n   comment */\nint x = 0x1F;',
    'a_b_c = __init__ + __name__ == "__main__"',
    '    }\n  }\n}',
    'arr[i][j] = (arr[i-1][j] + arr[i][j-1]) % 1000000007;',
    'print(f"{name!r:>10} {value:.3f}")',
  ];
  for (const c of code) add(c);

  // --- numbers
  const nums = ['1', '12', '123', '1234', '12345', '1234567', '3.14159', '0.5', '-42', '+1', '1e10', '6.022e23',
    '1,234,567', '1.234.567,89', '2024-01-15', '15/01/2024', '01/15/24', '12:34:56', '2024-01-15T12:34:56Z',
    '+1 (555) 123-4567', '555-123-4567', '+44 20 7946 0958', '+86 138 0013 8000', '100%', '$1,000.00', '€99,99',
    '0xDEADBEEF', '0b101010', '007', '00000000', '9999999999999999', '3.14159265358979323846264338327950288',
    'version 1.2.3-beta.4', 'v2.0', 'IPv4 192.168.0.1', 'ISBN 978-3-16-148410-0', '1st 2nd 3rd 4th 21st 101st',
    '1/2 3/4 7/8', '12345678901234567890', 'x1y22z333w4444', 'abc123def', '٠١٢٣٤٥٦٧٨٩', '०१२३४५६७८९', '１２３４５'];
  for (const n of nums) add(n);
  for (let i = 0; i < 15; i++) {
    const k = 1 + Math.floor(rng() * 12);
    let s = ''; for (let j = 0; j < k; j++) s += Math.floor(rng() * 10);
    add('The value is ' + s + '.');
  }

  // --- whitespace
  const ws = ['hello  world', 'hello   world', 'hello    world', 'hello          world', '  leading', '   leading three',
    'trailing  ', 'trailing ', ' both ', '   both three   ', 'line1\nline2', 'line1\n\nline2', 'line1\n\n\nline2',
    'line1\r\nline2', 'line1\r\n\r\nline2', 'a\rb', 'col1\tcol2\tcol3', 'a \t b', 'a\t\t\tb', ' \t \n \r\n ',
    '\n\n\n\n', '\n \n \n', 'word\n', '\nword', 'end with newline\n', '\t\ttabs first', 'x' + ' '.repeat(20) + 'y',
    ' '.repeat(16), '\n'.repeat(40), '\t'.repeat(40), ' \n'.repeat(5), 'a\u00a0b', 'a\u2003b', 'a\u3000b', 'a\u200bb',
    'a\u2028b', 'a\u0085b', 'a\u000bb\u000cc', ' ' .repeat(33) + 'x', 'x' + ' '.repeat(31)];
  for (const w of ws) add(w);

  // --- emoji
  const emoji = ['😀', '😀😃😄', 'I love pizza 🍕!', '👍🏽', '👨‍👩‍👧‍👦', '👩🏽‍💻 coding', '🏳️‍🌈', '❤️', '🇺🇸🇫🇷🇯🇵', 'flags: 🇩🇪 🇬🇧 🇨🇳',
    '🤷‍♂️ shrug', 'emoji at end 🎉', '🎉🎉🎉🎉🎉', '1️⃣ 2️⃣ #️⃣', '🧑‍🤝‍🧑', '☺︎ vs ☺️', '🏴󠁧󠁢󠁳󠁣󠁴󠁿', 'text😀text', '🦀 Rust and 🐍 Python', '🫠🫡🫶'];
  for (const e of emoji) add(e);

  // --- CJK
  const cjk = ['你好，世界！', '我爱自然语言处理。', '今天天气很好，我们去公园散步吧。', '机器学习是人工智能的一个分支。',
    '中华人民共和国成立于1949年。', '繁體中文與簡體中文', 'こんにちは世界', 'これはテストです。', 'カタカナとひらがなと漢字が混ざった文章。',
    '東京タワーは333メートルです。', 'ﾊﾝｶｸｶﾀｶﾅ', '안녕하세요 세계', '한국어 자연어 처리는 재미있습니다.', '서울특별시 강남구',
    'English mixed with 中文 and 日本語 and 한국어.', '「引用」と『二重引用』', '〜ー・', '𠀀𠀁𪚥 (CJK Ext B)', '龥龦鿿', '一二三四五六七八九十'];
  for (const c of cjk) add(c);

  // --- other scripts
  const scripts = ['مرحبا بالعالم', 'اللغة العربية جميلة جداً.', 'السلام عليكم ورحمة الله', 'English and عربي mixed',
    'नमस्ते दुनिया', 'हिंदी भाषा भारत में बोली जाती है।', 'क्षत्रिय ज्ञान श्री', 'สวัสดีครับ', 'ภาษาไทยไม่มีการเว้นวรรคระหว่างคำ',
    'Привет, мир!', 'Съешь же ещё этих мягких французских булок, да выпей чаю.', 'ЁЖИК в тумане', 'Γειά σου Κόσμε', 'Αλφάβητο: αβγδεζηθ ΣΊΣΥΦΟΣ ς',
    'שלום עולם', 'Xin chào thế giới', 'Tiếng Việt có dấu', 'Ελληνικά και русский и English', 'ᚠᚢᚦᚨᚱᚲ', 'ሰላም ዓለም', 'Բարեւ աշխարհ', 'გამარჯობა',
    'தமிழ் மொழி', 'বাংলা ভাষা', 'Zażółć gęślą jaźń', 'Příliš žluťoučký kůň', 'Ünïcödé çäfé naïve résumé', 'straße STRASSE Straße'];
  for (const s of scripts) add(s);

  // --- NFD / NFC / NFKC sensitive
  const norm = ['e\u0301', 'cafe\u0301', 'caf\u00e9', 'A\u030a', '\u00c5', '\u212b', 'n\u0303o', 'a\u0308o\u0308u\u0308', 'Ang\u0303strom',
    '\u1100\u1161\u11a8', '\uac01', 'o\u0302\u0323', '\u1ed9', 'e\u0301\u0301\u0301',
    'ﬁ', 'ﬁnance ﬂow ﬀ ﬃ', 'ＡＢＣ', 'Ｈｅｌｌｏ　Ｗｏｒｌｄ', '²', 'x² + y³ = z¹', 'Ⅻ', 'Ⅰ Ⅱ Ⅲ Ⅳ', '½ ¼ ¾', '™ © ®', '…', '℃ ℉ ㎏ ㎞',
    '①②③', 'ｶﾞｷﾞ', '\u00b5 \u03bc', 'Ω \u2126', 'ǅ ǆ Ǆ', 'ſ', '\u0130 \u0131 i I', 'ß ẞ', '\u2024\u2025', '⁰¹²³⁴⁵⁶⁷⁸⁹', 'ｱｲｳ', '\ufb01\ufb02',
    '\u0041\u030a\u0301', '\u0915\u093c', '\u0958'];
  for (const n of norm) add(n);

  // --- special-token strings
  const specials = ['<|begin_of_text|>', '<|end_of_text|>', '<|eot_id|>', '<|start_header_id|>user<|end_header_id|>', '<s>', '</s>', '<unk>', '<pad>',
    '<bos>', '<eos>', '<start_of_turn>', '<end_of_turn>', '<|im_start|>', '<|im_end|>', '<|endoftext|>', '<think>', '</think>', '<tool_call>',
    '<｜begin▁of▁sentence｜>', '<｜end▁of▁sentence｜>', '<｜User｜>', '<｜Assistant｜>', '<|EOT|>', '<unused0>', '<mask>', '<table>', '[multimodal]',
    '<image_soft_token>', '<|fim_prefix|>', '<｜fim▁begin｜>'];
  for (const s of specials) { add(s); add(' ' + s + ' '); add('Hello ' + s + ' world'); add('x' + s + 'y'); }
  add('<s>[INST] What is 2+2? [/INST] 4 </s><s>[INST] thanks [/INST]');
  add('<start_of_turn>user\nHi there<end_of_turn>\n<start_of_turn>model\nHello!<end_of_turn>\n');
  add('<|im_start|>system\nYou are helpful.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n');
  add('<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>');
  add('<｜begin▁of▁sentence｜>You are helpful.<｜User｜>Hi<｜Assistant｜>');
  add('<s><s></s></s>'); add('<|im_start|><|im_start|>'); add('<|begin_of_text'); add('<s >'); add('< s>'); add('<S>');
  add('  <s>  '); add('\n<s>\n'); add('<start_of_turn> <end_of_turn>');

  // --- rare bytes / control chars (no \u0000)
  const ctrl = ['\u0001\u0002\u0003', 'a\u0007b', 'esc\u001b[31mred\u001b[0m', '\u007f', 'del\u007fete', '\u0080\u0081\u009f', '\u00ad soft hyphen', 'zero\u200dwidth\u200cjoiner',
    '\ufeffBOM at start', '\ufffd replacement', '\uffff', '\ue000 private use', '\u{10ffff}', '\u{1f600}\u{e0001}', '\u202eRTL override', '\u0008\u0009\u000b\u000c\u000e\u001f',
    '\u0300 leading combining', '\u2581\u0301', '\u{1d400}\u{1d401}\u{1d402} math bold', '\u{1f1e6}', 'a\u0000'.replace('\u0000', '\u0001')];
  for (const c of ctrl) add(c);

  // --- random mixtures
  const pools = [PROSE, code, nums, ws, emoji, cjk, scripts, norm, specials, ctrl];
  for (let m = 0; m < 20; m++) {
    const k = 2 + Math.floor(rng() * 3);
    const parts = [];
    for (let j = 0; j < k; j++) parts.push(pick(pick(pools)));
    add(parts.join(pick([' ', '', '\n', '  ', '\t'])));
  }

  // --- 5 long texts ~10,000 chars
  const longMixed = () => {
    const parts = []; let len = 0;
    while (len < 10000) { const p = pick(pick([PROSE, PROSE, PROSE, code, nums, emoji, cjk, scripts, ws])); parts.push(p); len += p.length + 1; }
    return parts.join(' ').slice(0, 10000);
  };
  add(buildProse(10000, 777));
  add(buildProse(10000, 778).replace(/\. /g, '.\n'));
  add(longMixed());
  add(randomWord(10000, 999));
  add(' ' + Array.from({ length: 1500 }, () => randomWord(3 + Math.floor(rng() * 8), Math.floor(rng() * 1e9))).join(' ').slice(0, 9999));

  for (const t of S) if (!t.isWellFormed() || t.includes('\u0000')) throw new Error('bad string: ' + JSON.stringify(t));
  const out = S.map((t) => JSON.stringify({ text: t })).join('\n') + '\n';
  fs.writeFileSync(path.join(process.cwd(), 'strings.jsonl'), out);
  console.log('wrote', S.length, 'strings');
}

module.exports = { buildProse, randomWord, mulberry32 };
if (require.main === module) main();

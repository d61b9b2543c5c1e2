# Independent implementation of gpt-f32 written from docs/gpt-f32.md alone
# (no aichain code), in plain Python 3 with no packages. float32 arithmetic is
# emulated with Python floats: each +, -, *, / and sqrt of two float32 is
# computed in double and rounded to float32, which gives the float32 result
# (double rounding is innocuous for these since 53 >= 2*24 + 2).
# It checks gpt_functions.json, then reproduces the generated ids and output
# roots of the gpt-f32 vectors of vectors.json. Run from the repository root:
#   python3 workload/testdata/independent_gpt_check.py
import ast, hashlib, json, math, os, struct, sys

DIR = os.path.dirname(os.path.abspath(__file__))
F = struct.Struct('<f')
I = struct.Struct('<I')
INF = math.inf
NAN = float('nan')

def f32(x):
    try:
        return F.unpack(F.pack(x))[0]
    except OverflowError:
        return math.copysign(INF, x)

def frombits(b): return F.unpack(I.pack(b))[0]
def bits(x): return 0x7FC00000 if x != x else I.unpack(F.pack(x))[0]

# Section 1: constants by their bits.
EXP_HI, EXP_LO = frombits(0x42B00000), frombits(0xC2AE0000)
LOG2E, LN2_HI, LN2_LO = frombits(0x3FB8AA3B), frombits(0x3F318000), frombits(0xB95E8083)
C = [frombits(b) for b in (0x3F800000, 0x3F800000, 0x3F000000, 0x3E2AAAAB, 0x3D2AAAAB, 0x3C088889, 0x3AB60B61, 0x39500D01)]
TANH_SAT, GELU_C, GELU_K, EPS = frombits(0x41100000), frombits(0x3F4C422A), frombits(0x3D372713), frombits(0x3727C5AC)

# Section 2: the functions.
def exp32(x):
    if x != x: return NAN
    if x > EXP_HI: return INF
    if x < EXP_LO: return 0.0
    t = f32(x * LOG2E)
    k = math.floor(f32(t + 0.5))
    r = f32(x - f32(k * LN2_HI))
    r = f32(r - f32(k * LN2_LO))
    p = C[7]
    for n in range(6, -1, -1):
        p = f32(f32(p * r) + C[n])
    return f32(p * frombits((k + 127) << 23))

def tanh32(u):
    a = abs(u)
    if a != a: return NAN
    t = 1.0
    if a < TANH_SAT:
        t = f32(1.0 - f32(2.0 / f32(exp32(f32(a + a)) + 1.0)))
    return -t if u < 0 else t

def gelu32(x):
    x3 = f32(f32(x * x) * x)
    u = f32(GELU_C * f32(x + f32(GELU_K * x3)))
    return f32(f32(0.5 * x) * f32(1.0 + tanh32(u)))

def dot(a, b):
    s = 0.0
    for x, y in zip(a, b):
        s = f32(s + f32(x * y))
    return s

def layernorm32(x, g, b):
    n = float(len(x))
    s = 0.0
    for v in x: s = f32(s + v)
    mu = f32(s / n)
    q = 0.0
    for v in x:
        d = f32(v - mu)
        q = f32(q + f32(d * d))
    rho = f32(1.0 / f32(math.sqrt(f32(f32(q / n) + EPS))))
    return [f32(f32(f32(f32(v - mu) * rho) * gi) + bi) for v, gi, bi in zip(x, g, b)]

def dense(x, w, bias):  # w: one row of len(x) weights per output
    if bias is None: return [dot(x, row) for row in w]
    return [f32(dot(x, row) + bo) for row, bo in zip(w, bias)]

def scale(d): return f32(1.0 / f32(math.sqrt(float(d))))

def attend(q, keys, vals, sc):
    s = [f32(dot(q, k) * sc) for k in keys]
    m = s[0]
    for v in s[1:]:
        if v > m: m = v
    e = [exp32(f32(v - m)) for v in s]
    z = 0.0
    for v in e: z = f32(z + v)
    p = [f32(v / z) for v in e]
    out = []
    for d in range(len(q)):
        acc = 0.0
        for pj, vj in zip(p, vals): acc = f32(acc + f32(pj * vj[d]))
        out.append(acc)
    return out

def argmax(v):
    best = 0
    for i in range(1, len(v)):
        if v[i] > v[best]: best = i
    return best

def check_functions():
    fns = json.load(open(os.path.join(DIR, 'gpt_functions.json')))
    h = lambda s: frombits(int(s, 16))
    hl = lambda l: [h(s) for s in l]
    def same(got, want_hex, what):
        want = h(want_hex)
        if not ((got != got and want != want) or bits(got) == int(want_hex, 16)):
            sys.exit('%s: got %08x, want %s' % (what, bits(got), want_hex))
    for name, f in (('exp', exp32), ('tanh', tanh32), ('gelu', gelu32)):
        for c in fns[name]: same(f(h(c['x'])), c['y'], '%s(%s)' % (name, c['x']))
    for c in fns['layernorm']:
        for got, want in zip(layernorm32(hl(c['x']), hl(c['g']), hl(c['b'])), c['y']): same(got, want, 'layernorm')
    for c in fns['attention']:
        n, d = c['n'], len(c['q'])
        k, v = hl(c['keys']), hl(c['values'])
        same(scale(d), c['scale'], 'scale(%d)' % d)
        out = attend(hl(c['q']), [k[j*d:(j+1)*d] for j in range(n)], [v[j*d:(j+1)*d] for j in range(n)], scale(d))
        for got, want in zip(out, c['out']): same(got, want, 'attend n=%d d=%d' % (n, d))
    for c in fns['argmax']:
        if argmax(hl(c['v'])) != c['index']: sys.exit('argmax %s' % c['v'])
    print('gpt_functions.json: every function matches')

# Section 3: the weights file.
def load_model(path, cfg):
    data = open(path, 'rb').read()
    n = struct.unpack('<Q', data[:8])[0]
    hdr = json.loads(data[8:8+n])
    buf = data[8+n:]
    def tensor(name):
        t = hdr[name]
        assert t['dtype'] == 'F32'
        b, e = t['data_offsets']
        return list(struct.unpack('<%df' % ((e - b) // 4), buf[b:e])), t['shape']
    def rows(name):  # a [n, m] tensor as n rows
        v, (r, c) = tensor(name)
        return [v[i*c:(i+1)*c] for i in range(r)]
    def conv1d(name):  # file [in, out] -> W[o] = row of in weights
        v, (i, o) = tensor(name)
        return [[v[k*o + j] for k in range(i)] for j in range(o)]
    m = {'wte': rows('wte.weight'), 'wpe': rows('wpe.weight'), 'blocks': []}
    for l in range(cfg['layers']):
        p = 'h.%d.' % l
        m['blocks'].append({
            'ln1': (tensor(p+'ln_1.weight')[0], tensor(p+'ln_1.bias')[0]),
            'attn': (conv1d(p+'attn.c_attn.weight'), tensor(p+'attn.c_attn.bias')[0]),
            'proj': (conv1d(p+'attn.c_proj.weight'), tensor(p+'attn.c_proj.bias')[0]),
            'ln2': (tensor(p+'ln_2.weight')[0], tensor(p+'ln_2.bias')[0]),
            'fc': (conv1d(p+'mlp.c_fc.weight'), tensor(p+'mlp.c_fc.bias')[0]),
            'out': (conv1d(p+'mlp.c_proj.weight'), tensor(p+'mlp.c_proj.bias')[0]),
        })
    m['lnf'] = (tensor('ln_f.weight')[0], tensor('ln_f.bias')[0])
    return m

def load_prompts(path):
    data = open(path, 'rb').read()
    assert data[:6] == b'\x93NUMPY' and data[6] == 1
    hlen = struct.unpack('<H', data[8:10])[0]
    hdr = ast.literal_eval(data[10:10+hlen].decode())
    assert hdr['descr'] == '<i4' and not hdr['fortran_order']
    r, c = hdr['shape']
    v = struct.unpack('<%di' % (r * c), data[10+hlen:])
    return [list(v[i*c:(i+1)*c]) for i in range(r)]

# Sections 4 and 5: positions with a KV cache, greedy decoding.
def run_position(m, cfg, cache, tok, t):
    E, H = cfg['embed'], cfg['heads']
    D = E // H
    x = [f32(a + b) for a, b in zip(m['wte'][tok], m['wpe'][t])]
    for l, b in enumerate(m['blocks']):
        qkv = dense(layernorm32(x, *b['ln1']), *b['attn'])
        cache[l].append((qkv[E:2*E], qkv[2*E:]))
        a = []
        for i in range(H):
            sl = slice(i*D, (i+1)*D)
            a += attend(qkv[sl], [k[sl] for k, _ in cache[l]], [v[sl] for _, v in cache[l]], scale(D))
        x = [f32(xi + yi) for xi, yi in zip(x, dense(a, *b['proj']))]
        f = [gelu32(v) for v in dense(layernorm32(x, *b['ln2']), *b['fc'])]
        x = [f32(xi + yi) for xi, yi in zip(x, dense(f, *b['out']))]
    return x

def logits(m, x):
    return dense(layernorm32(x, *m['lnf']), m['wte'], None)

def decode(m, cfg, row, N):
    V = cfg['vocab']
    k = row.index(-1) if -1 in row else len(row)
    prompt = row[:k]
    if k == 0 or any(t < 0 or t >= V for t in prompt) or any(t != -1 for t in row[k:]):
        return None, [-1.0] * N + [NAN] * V
    cache = [[] for _ in range(cfg['layers'])]
    for t, tok in enumerate(prompt):
        x = run_position(m, cfg, cache, tok, t)
    lg = logits(m, x)
    ids = []
    for n in range(N):
        ids.append(argmax(lg))
        lg = logits(m, run_position(m, cfg, cache, ids[-1], k + n))
    return ids, [float(i) for i in ids] + lg

def merkle_root(chunks):
    def leaf(i, b): return hashlib.sha256(b'\x00' + i.to_bytes(8, 'big') + b).digest()
    def mth(lo, hi):
        if hi - lo == 1: return leaf(lo, chunks[lo])
        k = 1
        while k * 2 < hi - lo: k *= 2
        return hashlib.sha256(b'\x01' + mth(lo, lo + k) + mth(lo + k, hi)).digest()
    return mth(0, len(chunks))

def check_vectors():
    vf = json.load(open(os.path.join(DIR, 'vectors.json')))
    for v in vf['vectors']:
        if v['kind'] != 'gpt-f32': continue
        g = v['gpt']
        for f, key in ((g['model'], 'model_sha256'), (g['prompts'], 'prompts_sha256')):
            if hashlib.sha256(open(os.path.join(DIR, f), 'rb').read()).hexdigest() != g[key]: sys.exit('%s: sha256' % f)
        cfg, N, cr = g['config'], g['max_new_tokens'], g['chunk_rows']
        m = load_model(os.path.join(DIR, g['model']), cfg)
        rows, gen = [], []
        for p in load_prompts(os.path.join(DIR, g['prompts'])):
            ids, row = decode(m, cfg, p, N)
            gen.append(ids)
            rows.append(b''.join(I.pack(bits(x)) for x in row))
        if gen != g['generated']: sys.exit('%s: generated %s, want %s' % (v['name'], gen, g['generated']))
        chunks = [b''.join(rows[i:i+cr]) for i in range(0, len(rows), cr)]
        root = merkle_root(chunks).hex()
        if root != v['output_root'] or len(chunks) != v['chunk_count']:
            sys.exit('%s: root %s with %d chunks, want %s' % (v['name'], root, len(chunks), v['output_root']))
        print('%s: generated ids and output root %s match' % (v['name'], root))

check_functions()
check_vectors()

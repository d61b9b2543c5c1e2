# Independent check of one gemm-f32 vector (37x29x41, seed 42, chunk_rows 5):
# float32 arithmetic emulated with Python floats (a float32 product is exact in
# double, and double rounding is innocuous for float32 add), SplitMix64 and the
# RFC 6962 tree written from the spec. Prints the chunk count and root, which
# must equal vectors.json. Run: python3 workload/testdata/independent_gemm_check.py
import struct, hashlib
M64=(1<<64)-1
def f32(x): return struct.unpack('<f', struct.pack('<f', x))[0]
def mix(z):
    z=((z^(z>>30))*0xBF58476D1CE4E5B9)&M64
    z=((z^(z>>27))*0x94D049BB133111EB)&M64
    return z^(z>>31)
def stream(seed,n):
    s=seed; out=[]
    for _ in range(n):
        s=(s+0x9E3779B97F4A7C15)&M64; x=mix(s)
        out.append(f32(((x>>40)-(1<<23))/(1<<23)))
    return out
m,n,k,seed,cr=37,29,41,42,5
A=stream(seed,m*k); B=stream(seed^0xD1B54A32D192ED03,k*n)
C=[]
for r in range(m):
    for c in range(n):
        s=0.0
        for i in range(k): s=f32(s+f32(A[r*k+i]*B[i*n+c]))
        C.append(s)
chunks=[]
for i in range(0,m,cr):
    rows=C[i*n:min(i+cr,m)*n]
    chunks.append(b''.join(struct.pack('<f',v) for v in rows))
def leaf(i,b): return hashlib.sha256(b'\x00'+i.to_bytes(8,'big')+b).digest()
def mth(lo,hi):
    if hi-lo==1: return leaf(lo,chunks[lo])
    kk=1
    while kk*2<hi-lo: kk*=2
    return hashlib.sha256(b'\x01'+mth(lo,lo+kk)+mth(lo+kk,hi)).digest()
print(len(chunks), mth(0,len(chunks)).hex())

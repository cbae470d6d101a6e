package web

import "sync"

// proxyBufferSize is the size of the buffer ReverseProxy copies an answer
// through: its own default.
const proxyBufferSize = 32 << 10

// proxyBuffers lends ReverseProxy its copy buffers. Without a pool it
// allocates a fresh 32 KB buffer for every call, four fifths of all a
// proxied call allocates: the collector then ran every few hundred calls
// and its cycles were the proxy's slowest calls (issue 22 item 2). The
// pool holds no more buffers than calls run at once, and the collector
// empties it when idle.
type proxyBuffers struct{ pool sync.Pool }

func (p *proxyBuffers) Get() []byte {
	if b, ok := p.pool.Get().(*[proxyBufferSize]byte); ok {
		return b[:]
	}
	return new([proxyBufferSize]byte)[:]
}

func (p *proxyBuffers) Put(b []byte) {
	if cap(b) >= proxyBufferSize {
		p.pool.Put((*[proxyBufferSize]byte)(b[:proxyBufferSize]))
	}
}

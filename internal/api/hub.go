package api

import (
	"sync"

	"github.com/plinth-storage/plinth/internal/store"
)

// Hub fans store change events out to the event-stream subscribers. A slow
// subscriber loses events rather than blocking the others; each stream
// then resends full state, so nothing is lost for the client.
type Hub struct {
	mu   sync.Mutex
	subs map[chan store.Event]struct{}
}

// NewHub returns an empty hub.
func NewHub() *Hub { return &Hub{subs: map[chan store.Event]struct{}{}} }

// Publish delivers e to every subscriber that has room for it.
func (h *Hub) Publish(e store.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs {
		select {
		case ch <- e:
		default:
		}
	}
}

// Subscribe returns a channel of events and a function that ends the
// subscription.
func (h *Hub) Subscribe() (<-chan store.Event, func()) {
	ch := make(chan store.Event, 256)
	h.mu.Lock()
	h.subs[ch] = struct{}{}
	h.mu.Unlock()
	return ch, func() {
		h.mu.Lock()
		delete(h.subs, ch)
		h.mu.Unlock()
	}
}

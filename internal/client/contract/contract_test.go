package contract_test

import (
	"testing"

	"github.com/plinth-storage/plinth/internal/client/clienttest"
	"github.com/plinth-storage/plinth/internal/client/contract"
	"github.com/plinth-storage/plinth/internal/server/servertest"
)

// TestRealServer runs the contract against the real daemon, in-process.
func TestRealServer(t *testing.T) {
	contract.Run(t, func(t *testing.T) string { return servertest.Start(t).URL }, nil)
}

// TestFake runs the same contract against the in-memory fake.
func TestFake(t *testing.T) {
	contract.Run(t, func(t *testing.T) string { return clienttest.New(t).URL }, nil)
}

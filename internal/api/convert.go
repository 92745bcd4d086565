package api

import (
	"time"

	"github.com/plinth-storage/plinth/internal/apitypes"
	"github.com/plinth-storage/plinth/internal/model"
)

// toBackingImage renders a stored image in Longhorn's field layout. Maps and
// slices are never null.
func toBackingImage(bi model.BackingImage) apitypes.BackingImage {
	out := apitypes.BackingImage{
		Name: bi.Name, UUID: bi.UUID, SourceType: bi.SourceType,
		Parameters:        nonNilMap(bi.Parameters),
		ExpectedChecksum:  bi.ExpectedChecksum,
		CurrentChecksum:   bi.Status.CurrentChecksum,
		Size:              bi.Status.Size,
		VirtualSize:       bi.Status.VirtualSize,
		MinNumberOfCopies: bi.MinNumberOfCopies,
		DataEngine:        bi.DataEngine,
		DiskSelector:      nonNilSlice(bi.DiskSelector),
		NodeSelector:      nonNilSlice(bi.NodeSelector),
		DiskFileStatusMap: map[string]*apitypes.DiskFileStatus{},
		Secret:            bi.Secret,
		SecretNamespace:   bi.SecretNamespace,
		Created:           formatTime(bi.CreatedAt),
		Message:           bi.Status.Message,
	}
	if bi.DeletionRequested != nil {
		out.DeletionTimestamp = formatTime(*bi.DeletionRequested)
	}
	for diskUUID, cp := range bi.Status.Copies {
		out.DiskFileStatusMap[diskUUID] = &apitypes.DiskFileStatus{
			State: cp.State, Progress: cp.Progress, Message: cp.Message,
			LastStateTransitionTime: formatTime(cp.LastTransition),
			DataEngine:              cp.DataEngine,
		}
	}
	return out
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func nonNilMap(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

func nonNilSlice(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

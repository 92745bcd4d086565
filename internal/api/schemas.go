package api

import (
	"github.com/plinth-storage/plinth/internal/api/rancher"
	"github.com/plinth-storage/plinth/internal/apitypes"
)

// Schema ids.
const (
	schemaBackingImage = "backingImage"
	schemaNode         = "node"
	schemaSetting      = "setting"
)

// buildSchemas declares every published type, its methods and actions.
func buildSchemas() *rancher.Schemas {
	s := rancher.NewSchemas()
	bi := s.Add(schemaBackingImage, apitypes.BackingImage{})
	bi.CollectionMethods = []string{"GET", "POST"}
	bi.ResourceMethods = []string{"GET", "DELETE"}
	bi.ResourceLinks = []string{"download"}
	bi.ResourceActions["backingImageCleanup"] = rancher.Action{Input: "backingImageCleanupInput", Output: schemaBackingImage}
	bi.ResourceActions["upload"] = rancher.Action{}
	bi.ResourceActions["updateMinNumberOfCopies"] = rancher.Action{Input: "updateMinNumberOfCopiesInput", Output: schemaBackingImage}
	for _, f := range []string{"name", "sourceType", "parameters"} {
		bi.Field(f).Required = true
		bi.Field(f).Create = true
	}
	bi.Field("name").Unique = true
	for _, f := range []string{"expectedChecksum", "minNumberOfCopies", "dataEngine", "diskSelector", "nodeSelector", "secret", "secretNamespace"} {
		bi.Field(f).Create = true
	}
	bi.CollectionFilters["sourceType"] = rancher.Filter{Modifiers: []string{"eq"}}
	bi.CollectionFilters["dataEngine"] = rancher.Filter{Modifiers: []string{"eq"}}
	s.Add("backingImageDiskFileStatus", apitypes.DiskFileStatus{})
	s.Add("backingImageCleanupInput", apitypes.BackingImageCleanupInput{})
	s.Add("updateMinNumberOfCopiesInput", apitypes.UpdateMinNumberOfCopiesInput{})

	n := s.Add(schemaNode, apitypes.Node{})
	n.ResourceActions["diskUpdate"] = rancher.Action{Input: "diskUpdateInput", Output: schemaNode}
	s.Add("diskUpdateInput", apitypes.DiskUpdateInput{})
	s.Add("diskSpec", apitypes.DiskSpec{})
	s.Add("diskInfo", apitypes.DiskInfo{})
	s.Add("condition", apitypes.Condition{})

	st := s.Add(schemaSetting, apitypes.Setting{})
	st.ResourceMethods = []string{"GET", "PUT"}
	st.Field("value").Update = true
	s.Add("settingDefinition", apitypes.SettingDefinition{})
	return s
}

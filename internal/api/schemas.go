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
	addBackingImageSchemas(s)
	addBackupSchemas(s)
	addNodeAndSettingSchemas(s)
	return s
}

func addBackingImageSchemas(s *rancher.Schemas) {
	bi := s.Add(schemaBackingImage, apitypes.BackingImage{})
	bi.CollectionMethods = []string{"GET", "POST"}
	bi.ResourceMethods = []string{"GET", "DELETE"}
	bi.ResourceLinks = []string{"download"}
	bi.ResourceActions["backingImageCleanup"] = rancher.Action{Input: "backingImageCleanupInput", Output: schemaBackingImage}
	bi.ResourceActions["upload"] = rancher.Action{}
	bi.ResourceActions["updateMinNumberOfCopies"] = rancher.Action{Input: "updateMinNumberOfCopiesInput", Output: schemaBackingImage}
	bi.ResourceActions[actionVerify] = rancher.Action{Output: schemaBackingImage}
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
	bi.ResourceActions["backupBackingImageCreate"] = rancher.Action{Input: "backupBackingImageCreateInput", Output: schemaBackup}
	bi.CollectionActions["backupBackingImageBatchCreate"] = rancher.Action{Input: "backupBackingImageBatchCreateInput", Output: "backupBackingImageBatchResult"}
	helper(s, "backingImageDiskFileStatus", apitypes.DiskFileStatus{})
	helper(s, "backingImageCleanupInput", apitypes.BackingImageCleanupInput{})
	helper(s, "updateMinNumberOfCopiesInput", apitypes.UpdateMinNumberOfCopiesInput{})
	helper(s, "backupBackingImageCreateInput", apitypes.BackupBackingImageCreateInput{})
	helper(s, "backupBackingImageBatchCreateInput", apitypes.BackupBackingImageBatchCreateInput{})
	helper(s, "backupBackingImageBatchResult", apitypes.BackupBackingImageBatchResult{})
	helper(s, "batchItemError", apitypes.BatchItemError{})
}

func addBackupSchemas(s *rancher.Schemas) {
	bbi := s.Add(schemaBackup, apitypes.BackupBackingImage{})
	bbi.ResourceMethods = []string{"GET", "DELETE"}
	bbi.ResourceActions["backupBackingImageRestore"] = rancher.Action{Input: "backingImageRestoreInput", Output: schemaBackingImage}
	bbi.ResourceActions["backupBackingImageVerify"] = rancher.Action{Input: "backupVerifyInput", Output: "backupVerifyReport"}
	bbi.ResourceActions["backupBackingImageRetry"] = rancher.Action{Output: schemaBackup}
	for _, f := range []string{"backingImageName", "backupTargetName", "state"} {
		bbi.CollectionFilters[f] = rancher.Filter{Modifiers: []string{"eq"}}
	}
	helper(s, "backingImageRestoreInput", apitypes.BackingImageRestoreInput{})
	helper(s, "backupVerifyInput", apitypes.BackupVerifyInput{})
	helper(s, "backupVerifyReport", apitypes.BackupVerifyReport{})
	helper(s, "badBlock", apitypes.BadBlock{})

	bt := s.Add(schemaBackupTarget, apitypes.BackupTarget{})
	bt.CollectionMethods = []string{"GET", "POST", "PUT"}
	bt.ResourceMethods = []string{"GET", "DELETE"}
	bt.ResourceActions["backupTargetSync"] = rancher.Action{Input: "syncBackupResource", Output: schemaBackupTarget}
	bt.ResourceActions["backupTargetUpdate"] = rancher.Action{Input: "backupTargetInput", Output: schemaBackupTarget}
	bt.Field("name").Required, bt.Field("name").Create, bt.Field("name").Unique = true, true, true
	for _, f := range []string{"backupTargetURL", "credentialSecret", "pollInterval"} {
		bt.Field(f).Create = true
	}
	bt.Field("backupTargetURL").Default = ""
	bt.Field("credentialSecret").Default = ""
	bt.Field("pollInterval").Default = "300"
	helper(s, "backupTargetInput", apitypes.BackupTargetInput{})
	helper(s, "syncBackupResource", syncBackupResource{})

	sec := s.Add(schemaSecret, apitypes.Secret{})
	sec.CollectionMethods = []string{"GET", "POST"}
	sec.ResourceMethods = []string{"GET", "DELETE"}
	sec.CollectionActions[actionSecretRekey] = rancher.Action{Output: "secretRekeyResult"}
	helper(s, "secretCreateInput", apitypes.SecretCreateInput{})
	helper(s, "secretRekeyResult", apitypes.SecretRekeyResult{})
}

func addNodeAndSettingSchemas(s *rancher.Schemas) {
	n := s.Add(schemaNode, apitypes.Node{})
	n.ResourceActions["diskUpdate"] = rancher.Action{Input: "diskUpdateInput", Output: schemaNode}
	helper(s, "diskUpdateInput", apitypes.DiskUpdateInput{})
	helper(s, "diskSpec", apitypes.DiskSpec{})
	helper(s, "diskInfo", apitypes.DiskInfo{})
	helper(s, "condition", apitypes.Condition{})

	st := s.Add(schemaSetting, apitypes.Setting{})
	st.ResourceMethods = []string{"GET", "PUT"}
	st.Field("value").Update = true
	helper(s, "settingDefinition", apitypes.SettingDefinition{})
}

// helper adds an input, output or embedded type: published for clients,
// but with no collection to list.
func helper(s *rancher.Schemas, id string, v any) {
	s.Add(id, v).CollectionMethods = nil
}

// syncBackupResource is Longhorn's input of backupTargetSync (all optional).
type syncBackupResource struct {
	SyncAllBackupTargets bool `json:"syncAllBackupTargets"`
	SyncBackupTarget     bool `json:"syncBackupTarget"`
}

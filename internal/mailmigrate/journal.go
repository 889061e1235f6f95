package mailmigrate

import (
	"fmt"

	jf "fullfrontend.be/infra/internal/journal"
)

// record is what the journal remembers of one copied message: where it
// went, under which identity, and the source flags it last carried over.
// The flags are the common ancestor that lets a later run tell a flag
// changed on the source (carry it over) from one changed on the target by
// the user (keep it).
type record struct {
	Folder       string   `json:"f"` // source folder (UTF-8)
	UIDValidity  uint32   `json:"v"`
	UID          uint32   `json:"u"`
	TargetFolder string   `json:"tf"`
	TargetUV     uint32   `json:"tv,omitempty"` // 0: unknown (no UIDPLUS)
	TargetUID    uint32   `json:"tu,omitempty"`
	MessageID    string   `json:"m,omitempty"`
	Date         int64    `json:"d"` // INTERNALDATE, Unix seconds
	Size         int64    `json:"s"`
	Flags        []string `json:"fl"`
}

func recordKey(folder string, uv, uid uint32) string {
	return fmt.Sprintf("%d/%d/%s", uv, uid, folder)
}

func (r record) key() string { return recordKey(r.Folder, r.UIDValidity, r.UID) }

// journal is the account pair's journal (internal/journal): one record per
// copied message.
type journal struct {
	*jf.File[record]
}

func openJournal(stateDir, sourceHost, sourceUser, targetHost, targetUser string) (*journal, error) {
	f, err := jf.Open(stateDir, sourceUser, []string{sourceHost, sourceUser, targetHost, targetUser}, record.key)
	if err != nil {
		return nil, err
	}
	return &journal{f}, nil
}

func (j *journal) get(folder string, uv, uid uint32) (record, bool) {
	return j.Get(recordKey(folder, uv, uid))
}

// uids lists the source UIDs the journal knows in one folder generation.
func (j *journal) uids(folder string, uv uint32) map[uint32]bool {
	out := map[uint32]bool{}
	for _, r := range j.Recs {
		if r.Folder == folder && r.UIDValidity == uv {
			out[r.UID] = true
		}
	}
	return out
}

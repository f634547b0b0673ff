package secretsmanager

import (
	"crypto/rand"
	"regexp"
	"slices"
	"strings"
	"time"

	smt "github.com/wharfhq/wharf/api/secretsmanagertypes"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/store"
)

// Staging labels Secrets Manager moves itself.
const (
	stageCurrent  = "AWSCURRENT"
	stagePrevious = "AWSPREVIOUS"
)

// maxVersions is how many versions a secret keeps; beyond it the oldest
// versions without a staging label go, as in AWS.
const maxVersions = 100

// secretRecord is one secret as stored at
// secretsmanager/ACCOUNT/REGION/secrets/NAME.
type secretRecord struct {
	ARN         string    `json:"arn"`
	Name        string    `json:"name"`
	Description string    `json:"description,omitempty"`
	KmsKeyID    string    `json:"kmsKeyId,omitempty"`
	Tags        []smt.Tag `json:"tags,omitempty"`
	Created     time.Time `json:"created"`
	Changed     time.Time `json:"changed"`
	Accessed    time.Time `json:"accessed,omitzero"` // a date, as AWS keeps it
	// DeletedAt is when DeleteSecret scheduled the deletion and
	// DeleteAfter when the recovery window ends; both zero unless scheduled.
	DeletedAt   time.Time       `json:"deletedAt,omitzero"`
	DeleteAfter time.Time       `json:"deleteAfter,omitzero"`
	Versions    []versionRecord `json:"versions"`
}

// versionRecord is one version of a secret's value. The value is sealed
// with the keyring for this secret's ARN and this version id.
type versionRecord struct {
	ID       string    `json:"id"`
	Stages   []string  `json:"stages,omitempty"`
	Created  time.Time `json:"created"`
	Accessed time.Time `json:"accessed,omitzero"`
	Binary   bool      `json:"binary,omitempty"`
	Sealed   string    `json:"sealed"`
}

func secretsPrefix(sc model.Scope) string {
	return "secretsmanager/" + sc.Account + "/" + sc.Region + "/secrets/"
}

func secretKey(sc model.Scope, name string) string { return secretsPrefix(sc) + name }

// scheduled reports whether the secret waits for deletion.
func (r *secretRecord) scheduled() bool { return !r.DeletedAt.IsZero() }

// gone reports whether the recovery window has ended: the secret no longer
// exists, even before the purge loop removes its record.
func (r *secretRecord) gone(now time.Time) bool {
	return r.scheduled() && !now.Before(r.DeleteAfter)
}

// versionBy returns the index of the version with id, or -1.
func (r *secretRecord) versionBy(id string) int {
	return slices.IndexFunc(r.Versions, func(v versionRecord) bool { return v.ID == id })
}

// versionAt returns the index of the version carrying stage, or -1.
func (r *secretRecord) versionAt(stage string) int {
	return slices.IndexFunc(r.Versions, func(v versionRecord) bool { return slices.Contains(v.Stages, stage) })
}

// stagesByVersion is VersionIdsToStages: the versions that carry a label.
func (r *secretRecord) stagesByVersion() map[string][]string {
	out := map[string][]string{}
	for _, v := range r.Versions {
		if len(v.Stages) > 0 {
			out[v.ID] = slices.Clone(v.Stages)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// moveStage attaches stage to the version at index to, taking it from
// whichever version had it. Moving AWSCURRENT gives the version that had
// it AWSPREVIOUS, as Secrets Manager does.
func (r *secretRecord) moveStage(stage string, to int) {
	from := r.versionAt(stage)
	if from == to {
		return
	}
	if from >= 0 {
		r.Versions[from].Stages = slices.DeleteFunc(r.Versions[from].Stages, func(s string) bool { return s == stage })
	}
	r.Versions[to].Stages = append(r.Versions[to].Stages, stage)
	if stage == stageCurrent && from >= 0 {
		r.moveStage(stagePrevious, from)
	}
}

// prune drops the oldest versions without a label while there are more
// than maxVersions.
func (r *secretRecord) prune() {
	for i := 0; len(r.Versions) > maxVersions && i < len(r.Versions); {
		if len(r.Versions[i].Stages) == 0 {
			r.Versions = slices.Delete(r.Versions, i, i+1)
			continue
		}
		i++
	}
}

// aad binds a sealed value to its secret and version.
func aad(arn, version string) []byte {
	return []byte("secretsmanager\x00" + arn + "\x00" + version)
}

// get finds the secret id names, or answers ResourceNotFoundException.
func get(tx store.ReadTx, sc model.Scope, id string, now time.Time) (secretRecord, error) {
	rec, ok, err := find(tx, sc, id, now)
	if err == nil && !ok {
		err = notFound()
	}
	return rec, err
}

// find resolves a SecretId (a name, a full ARN, or an ARN without the
// random suffix) in the caller's account and region. Secrets whose
// recovery window has ended count as gone.
func find(tx store.ReadTx, sc model.Scope, id string, now time.Time) (secretRecord, bool, error) {
	var names []string
	if rest, ok := strings.CutPrefix(id, "arn:"); ok {
		parts := strings.SplitN(rest, ":", 5)
		if len(parts) != 5 || parts[1] != "secretsmanager" || parts[2] != sc.Region || parts[3] != sc.Account {
			return secretRecord{}, false, nil
		}
		name, ok := strings.CutPrefix(parts[4], "secret:")
		if !ok || name == "" {
			return secretRecord{}, false, nil
		}
		// NAME-AbCdEf is a full ARN; but a name may itself end in a hyphen
		// and six characters, so the ARN without a suffix is tried too.
		if n := len(name) - 7; n > 0 && name[n] == '-' {
			names = append(names, name[:n])
		}
		names = append(names, name)
	} else {
		names = []string{id}
	}
	for i, name := range names {
		rec, ok, err := store.Get[secretRecord](tx, secretKey(sc, name))
		if err != nil {
			return rec, false, err
		}
		if !ok || rec.gone(now) {
			continue
		}
		full := len(names) == 2 && i == 0
		if full && rec.ARN != id {
			continue
		}
		return rec, true, nil
	}
	return secretRecord{}, false, nil
}

// validName matches the characters Secrets Manager allows in a name.
var validName = regexp.MustCompile(`^[A-Za-z0-9/_+=.@-]+$`)

func checkName(name string) error {
	if !validName.MatchString(name) {
		return errValidation("Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!")
	}
	return nil
}

// secretARN is arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-XXXXXX,
// with six random letters and digits as AWS adds.
func secretARN(sc model.Scope, name string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	var b [6]byte
	_, _ = rand.Read(b[:])
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return "arn:aws:secretsmanager:" + sc.Region + ":" + sc.Account + ":secret:" + name + "-" + string(b[:])
}

// newVersionID is a random UUID, for versions made without a
// ClientRequestToken.
func newVersionID() string { return awsapi.NewUUID() }

// day truncates t to its UTC date: AWS keeps access dates to the day.
func day(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

package state

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/scheduler"
)

// Instance-tasks entries are read by every placement, ten thousand at a
// time in a large cluster, and there is one per task, so they use a flat
// encoding that splits instead of reflecting and keeps nothing its key
// already says: "t2" then the fields below, separated by \x1f.
//
//	instance ARN   "" when it is the one the key names (container-instance/CLUSTER/INSTID)
//	task ARN       "" when it is the one the key names (task/CLUSTER/TASKID)
//	definition     FAMILY:REV when in the key's account and region
//	group, startedBy, lastStatus, desiredStatus, cpu, memory, ports (PORT/PROTO,…)
//
// A value stored whole where a short form is expected is marked by a
// leading '!' (an ARN of another shape, an empty one). An entry whose text
// holds the separator (no ARN or ECS name can, a RunTask group might)
// falls back to JSON, which the decoder tells by its leading '{'. The
// decoder still reads "t1" entries (every field whole), the layout before
// indexVersion 2.
const (
	flatTag   = "t2"
	flatTagV1 = "t1"
	flatSep   = "\x1f"
)

// entryKey is where an instance-tasks entry lives; its parts are what the
// entry's value leaves out.
type entryKey struct {
	sc            model.Scope
	cluster, inst string
	id            string
}

// The ARNs an entry leaves out, as model.Scope writes them (arn:aws:ecs:…);
// the encoder compares with them, the decoder rebuilds them (expand).
func (k entryKey) base() string { return "arn:aws:ecs:" + k.sc.Region + ":" + k.sc.Account + ":" }
func (k entryKey) instanceARN() string {
	return "arn:aws:ecs:" + k.sc.Region + ":" + k.sc.Account + ":container-instance/" + k.cluster + "/" + k.inst
}
func (k entryKey) taskARN() string {
	return "arn:aws:ecs:" + k.sc.Region + ":" + k.sc.Account + ":task/" + k.cluster + "/" + k.id
}
func (k entryKey) defPrefix() string { return k.base() + "task-definition/" }

// expand rebuilds an entry's stored instance ARN, task ARN and definition
// (orWhole's forms) into whole ARNs. Those it derives share one allocation:
// placement decodes ten thousand entries.
func (k entryKey) expand(inst, arn, def string) (string, string, string) {
	var b strings.Builder
	b.Grow(3*(14+len(k.sc.Region)+len(k.sc.Account)) + 64 + len(k.cluster)*2 + len(k.inst) + len(k.id) + len(def))
	var spans [3][2]int
	add := func(i int, parts ...string) {
		spans[i][0] = b.Len()
		for _, s := range [...]string{"arn:aws:ecs:", k.sc.Region, ":", k.sc.Account, ":"} {
			b.WriteString(s)
		}
		for _, s := range parts {
			b.WriteString(s)
		}
		spans[i][1] = b.Len()
	}
	wholeInst, wholeARN := inst != "", arn != ""
	if !wholeInst {
		add(0, "container-instance/", k.cluster, "/", k.inst)
	}
	if !wholeARN {
		add(1, "task/", k.cluster, "/", k.id)
	}
	rest, wholeDef := strings.CutPrefix(def, "!")
	if !wholeDef {
		add(2, "task-definition/", def)
	}
	all := b.String()
	pick := func(i int, whole bool, stored string) string {
		if whole {
			return strings.TrimPrefix(stored, "!")
		}
		return all[spans[i][0]:spans[i][1]]
	}
	return pick(0, wholeInst, inst), pick(1, wholeARN, arn), pick(2, wholeDef, rest)
}

// parseInstanceTaskKey splits ecs/A/R/idx/inst/CLUSTER/INSTID/TASKID.
func parseInstanceTaskKey(key string) (entryKey, bool) {
	var p [8]string
	rest := key
	for i := range 7 {
		var ok bool
		if p[i], rest, ok = strings.Cut(rest, "/"); !ok {
			return entryKey{}, false
		}
	}
	p[7] = rest
	if p[0] != "ecs" || p[3] != "idx" || p[4]+"/" != instanceTasksDir || strings.Contains(p[7], "/") {
		return entryKey{}, false
	}
	return entryKey{sc: model.Scope{Account: p[1], Region: p[2]}, cluster: p[5], inst: p[6], id: p[7]}, true
}

// orWhole is "" when v is what the key derives, else v marked whole.
func orWhole(v, derived string) string {
	if v == derived {
		return ""
	}
	return "!" + v
}

func encodeIndexedTask(k entryKey, e IndexedTask) ([]byte, error) {
	p := e.Task
	def := "!" + p.TaskDefinitionARN
	if rest, ok := strings.CutPrefix(p.TaskDefinitionARN, k.defPrefix()); ok && rest != "" && !strings.HasPrefix(rest, "!") {
		def = rest
	}
	text := []string{orWhole(e.Instance, k.instanceARN()), orWhole(p.ARN, k.taskARN()), def,
		p.Group, p.StartedBy, p.LastStatus, p.DesiredStatus}
	for _, s := range text {
		if strings.Contains(s, flatSep) {
			return json.Marshal(e)
		}
	}
	var ports strings.Builder
	for i, pt := range p.Reserved.Ports {
		if i > 0 {
			ports.WriteByte(',')
		}
		ports.WriteString(strconv.Itoa(pt.Port))
		ports.WriteByte('/')
		ports.WriteString(pt.Protocol)
	}
	if strings.ContainsAny(ports.String(), flatSep) {
		return json.Marshal(e)
	}
	fields := append([]string{flatTag}, text...)
	fields = append(fields, strconv.Itoa(p.Reserved.CPU), strconv.Itoa(p.Reserved.Memory), ports.String())
	return []byte(strings.Join(fields, flatSep)), nil
}

func decodeIndexedTask(key string, b []byte) (IndexedTask, error) {
	var e IndexedTask
	if len(b) > 0 && b[0] == '{' {
		if err := json.Unmarshal(b, &e); err != nil {
			return e, fmt.Errorf("store: decode %s: %w", key, err)
		}
		return e, nil
	}
	f := strings.Split(string(b), flatSep)
	if len(f) != 11 || f[0] != flatTag && f[0] != flatTagV1 {
		return e, fmt.Errorf("store: decode %s: not an instance-tasks entry", key)
	}
	cpu, err1 := strconv.Atoi(f[8])
	mem, err2 := strconv.Atoi(f[9])
	if err1 != nil || err2 != nil {
		return e, fmt.Errorf("store: decode %s: bad cpu or memory", key)
	}
	inst, arn, def := f[1], f[2], f[3]
	if f[0] == flatTag {
		k, ok := parseInstanceTaskKey(key)
		if !ok {
			return e, fmt.Errorf("store: decode %s: not an instance-tasks key", key)
		}
		inst, arn, def = k.expand(inst, arn, def)
	}
	e.Instance = inst
	e.Task = scheduler.PlacedTask{ARN: arn, TaskDefinitionARN: def, Group: f[4], StartedBy: f[5], LastStatus: f[6], DesiredStatus: f[7],
		Reserved: scheduler.Resources{CPU: cpu, Memory: mem}}
	if f[10] != "" {
		for _, s := range strings.Split(f[10], ",") {
			port, proto, _ := strings.Cut(s, "/")
			n, err := strconv.Atoi(port)
			if err != nil {
				return e, fmt.Errorf("store: decode %s: bad port %q", key, s)
			}
			e.Task.Reserved.Ports = append(e.Task.Reserved.Ports, scheduler.Port{Port: n, Protocol: proto})
		}
	}
	return e, nil
}

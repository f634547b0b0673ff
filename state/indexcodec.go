package state

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/wharfhq/wharf/scheduler"
)

// Instance-tasks entries are read by every placement, ten thousand at a
// time in a large cluster, so they use a flat encoding that splits instead
// of reflecting: "t1" then the fields below, separated by \x1f. An entry
// whose text holds the separator (no ARN or ECS name can, a RunTask group
// might) falls back to JSON, which the decoder tells by its leading '{'.
const (
	flatTag = "t1"
	flatSep = "\x1f"
)

func encodeIndexedTask(e IndexedTask) ([]byte, error) {
	p := e.Task
	text := []string{e.Instance, p.ARN, p.TaskDefinitionARN, p.Group, p.StartedBy, p.LastStatus, p.DesiredStatus}
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
	if len(f) != 11 || f[0] != flatTag {
		return e, fmt.Errorf("store: decode %s: not an instance-tasks entry", key)
	}
	cpu, err1 := strconv.Atoi(f[8])
	mem, err2 := strconv.Atoi(f[9])
	if err1 != nil || err2 != nil {
		return e, fmt.Errorf("store: decode %s: bad cpu or memory", key)
	}
	e.Instance = f[1]
	e.Task = scheduler.PlacedTask{ARN: f[2], TaskDefinitionARN: f[3], Group: f[4], StartedBy: f[5], LastStatus: f[6], DesiredStatus: f[7],
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

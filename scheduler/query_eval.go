package scheduler

import (
	"cmp"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// exprNode is a parsed expression evaluated against one instance's state.
type exprNode interface {
	eval(n *node) bool
}

type andNode struct{ l, r exprNode }
type orNode struct{ l, r exprNode }
type notNode struct{ x exprNode }

func (e andNode) eval(n *node) bool { return e.l.eval(n) && e.r.eval(n) }
func (e orNode) eval(n *node) bool  { return e.l.eval(n) || e.r.eval(n) }
func (e notNode) eval(n *node) bool { return !e.x.eval(n) }

// cmpNode is one "subject operator [argument]" comparison.
type cmpNode struct {
	subjectText string
	subject     subjectKind
	name        string // attribute name
	op          opKind
	args        []string
	re          *regexp.Regexp // matches, not_matches
	num         int            // runningTasksCount
	version     []int          // agentVersion
	time        time.Time      // registeredAt
	dateOnly    bool           // registeredAt argument without a time of day
}

func (c *cmpNode) eval(n *node) bool {
	in := n.inst
	switch c.subject {
	case subjAttribute:
		v, ok := in.Attributes[c.name]
		switch c.op {
		case opExists:
			return ok
		case opNotExists:
			return !ok
		}
		// ECS: "attribute:stack != prod" lists the instances that have
		// the attribute stack with another value, so every comparison
		// needs the attribute to be there.
		return ok && c.compareString(v)
	case subjTaskGroup:
		// The instance runs a task of the group. The negated operators
		// mean "runs no such task", as not(task:group == X) does.
		switch c.op {
		case opNe:
			return !n.hasGroup(c.args[0])
		case opNotIn:
			return !slices.ContainsFunc(c.args, n.hasGroup)
		case opNotMatches:
			return !n.anyGroup(c.re.MatchString)
		case opEq:
			return n.hasGroup(c.args[0])
		case opIn:
			return slices.ContainsFunc(c.args, n.hasGroup)
		case opMatches:
			return n.anyGroup(c.re.MatchString)
		case opExists:
			return n.anyGroup(func(string) bool { return true })
		case opNotExists:
			return !n.anyGroup(func(string) bool { return true })
		}
	case subjAgentConnected:
		return c.compareString(strconv.FormatBool(in.AgentConnected))
	case subjEC2InstanceID:
		return c.compareString(in.EC2InstanceID)
	case subjAgentVersion:
		v, ok := parseVersion(in.AgentVersion)
		return ok && c.order(compareVersions(v, c.version))
	case subjRegisteredAt:
		if in.RegisteredAt.IsZero() {
			return false
		}
		t := in.RegisteredAt.UTC()
		if c.dateOnly {
			t = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
		}
		return c.order(t.Compare(c.time))
	case subjRunningTasks:
		return c.order(cmp.Compare(n.running, c.num))
	}
	return false
}

// compareString applies the operator to a string value.
func (c *cmpNode) compareString(v string) bool {
	switch c.op {
	case opEq:
		return v == c.args[0]
	case opNe:
		return v != c.args[0]
	case opIn:
		return slices.Contains(c.args, v)
	case opNotIn:
		return !slices.Contains(c.args, v)
	case opMatches:
		return c.re.MatchString(v)
	case opNotMatches:
		return !c.re.MatchString(v)
	case opExists:
		return true
	case opNotExists:
		return false
	}
	return c.order(compareValues(v, c.args[0]))
}

// order turns a three-way comparison of value against argument into the
// operator's answer.
func (c *cmpNode) order(cmp int) bool {
	switch c.op {
	case opEq:
		return cmp == 0
	case opNe:
		return cmp != 0
	case opGt:
		return cmp > 0
	case opGe:
		return cmp >= 0
	case opLt:
		return cmp < 0
	case opLe:
		return cmp <= 0
	}
	return false
}

// compareValues orders two attribute values: as numbers when both are
// numbers, otherwise as strings.
func compareValues(a, b string) int {
	x, errA := strconv.ParseFloat(a, 64)
	y, errB := strconv.ParseFloat(b, 64)
	if errA == nil && errB == nil {
		return cmp.Compare(x, y)
	}
	return strings.Compare(a, b)
}

func compareVersions(a, b []int) int {
	for i := range max(len(a), len(b)) {
		var x, y int
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if c := cmp.Compare(x, y); c != 0 {
			return c
		}
	}
	return 0
}

// Matches reports whether the instance satisfies the expression.
func (e *Expression) Matches(in Instance) bool {
	return e.root.eval(newNode(&in, 0))
}

// FilterInstances returns the instances that satisfy the expression, in
// order: ListContainerInstances' filter.
func FilterInstances(expression string, instances []Instance) ([]Instance, error) {
	e, err := ParseExpression(expression)
	if err != nil {
		return nil, err
	}
	var out []Instance
	for i := range instances {
		if e.root.eval(newNode(&instances[i], i)) {
			out = append(out, instances[i])
		}
	}
	return out, nil
}

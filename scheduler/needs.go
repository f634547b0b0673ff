package scheduler

// What a placement needs to know about the tasks already placed. Resources,
// ports and runningTasksCount come from per-instance totals (Usage); task
// groups are needed only by the constraints and strategies below, so a
// caller that keeps totals reads tasks only when these say so.

// NeedsGroup reports whether placing task looks at how many tasks of its
// own group each instance runs: distinctInstance, or a spread strategy
// (the task's or ECS's default for its group), which balances the group.
func NeedsGroup(task Task) bool {
	for _, c := range task.Constraints {
		if c.Type == DistinctInstance {
			return true
		}
	}
	strategies := task.Strategies
	if len(strategies) == 0 {
		group := task.Group
		if group == "" && task.Family != "" {
			group = "family:" + task.Family
		}
		strategies = DefaultStrategies(group)
	}
	for _, s := range strategies {
		if s.Type == Spread {
			return true
		}
	}
	return false
}

// NeedsAllGroups reports whether a memberOf expression compares task:group,
// which may name (or match) any group: then every group an instance runs
// matters, not only the task's. An expression that does not parse needs
// nothing (ValidateConstraints refuses it).
func NeedsAllGroups(constraints []Constraint) bool {
	for _, c := range constraints {
		if c.Type != MemberOf {
			continue
		}
		e, err := ParseExpression(c.Expression)
		if err != nil {
			continue
		}
		if usesTaskGroup(e.root) {
			return true
		}
	}
	return false
}

func usesTaskGroup(e exprNode) bool {
	switch e := e.(type) {
	case andNode:
		return usesTaskGroup(e.l) || usesTaskGroup(e.r)
	case orNode:
		return usesTaskGroup(e.l) || usesTaskGroup(e.r)
	case notNode:
		return usesTaskGroup(e.x)
	case *cmpNode:
		return e.subject == subjTaskGroup
	}
	// An unknown node: assume the worst, reading more is never wrong.
	return true
}

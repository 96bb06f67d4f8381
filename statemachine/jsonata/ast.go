package jsonata

// process turns the parse tree into the evaluation tree: dotted
// expressions become paths of steps, predicates on steps become stages,
// grouping, sorting, focus (@) and index (#) bindings attach to the step
// they follow, and lambda bodies get tail calls marked.
func (p *parser) process(expr *node) *node {
	var result *node
	switch expr.typ {
	case "binary":
		switch expr.op {
		case ".":
			result = p.processPath(expr)
		case "[":
			result = p.processPredicate(expr)
		case "{":
			result = p.processGroup(expr)
		case "^":
			result = p.processSort(expr)
		case "@":
			result = p.processFocus(expr)
		case "#":
			result = p.processIndex(expr)
		default:
			result = p.processOperator(expr)
		}
	case "apply":
		result = &node{typ: "apply", op: expr.op, pos: expr.pos}
		result.lhs = p.process(expr.lhs)
		result.rhs = p.process(expr.rhs)
		result.keepArray = result.lhs.keepArray || result.rhs.keepArray
	case "bind":
		result = &node{typ: "bind", op: expr.op, pos: expr.pos, lhs: expr.lhs}
		result.rhs = p.process(expr.rhs)
		p.pushAncestry(result, result.rhs)
	case "unary":
		result = p.processUnary(expr)
	case "function", "partial":
		result = &node{typ: expr.typ, pos: expr.pos}
		for _, a := range expr.items {
			v := p.process(a)
			p.pushAncestry(result, v)
			result.items = append(result.items, v)
		}
		result.procedure = p.process(expr.procedure)
	case "lambda":
		result = &node{typ: "lambda", pos: expr.pos, params: expr.params, sig: expr.sig}
		result.body = tailCallOptimize(p.process(expr.body))
	case "condition":
		result = &node{typ: "condition", pos: expr.pos}
		result.cond = p.process(expr.cond)
		p.pushAncestry(result, result.cond)
		result.then = p.process(expr.then)
		p.pushAncestry(result, result.then)
		if expr.els != nil {
			result.els = p.process(expr.els)
			p.pushAncestry(result, result.els)
		}
	case "transform":
		result = &node{typ: "transform", pos: expr.pos}
		result.pattern = p.process(expr.pattern)
		result.update = p.process(expr.update)
		if expr.delete != nil {
			result.delete = p.process(expr.delete)
		}
	case "block":
		result = &node{typ: "block", pos: expr.pos}
		for _, it := range expr.items {
			v := p.process(it)
			p.pushAncestry(result, v)
			if v.consarray || (v.typ == "path" && v.items[0].consarray) {
				result.consarray = true
			}
			result.items = append(result.items, v)
		}
	case "name":
		result = &node{typ: "path", items: []*node{expr}, pos: expr.pos}
		if expr.keepArray {
			result.keepSing = true
		}
	case "parent":
		result = &node{typ: "parent", pos: expr.pos}
		result.slot = &slot{label: "!" + itoa(p.ancestorLabel), level: 1, index: p.ancestorIndex}
		p.ancestorLabel++
		p.ancestorIndex++
		p.ancestry = append(p.ancestry, result)
	case "string", "number", "value", "wildcard", "descendant", "variable", "regex", "operator":
		result = expr
	default:
		panic(parseError{&Error{Code: "S0206", Position: expr.pos, Message: "Unknown expression type: " + expr.typ}})
	}
	if expr.keepArray {
		result.keepArray = true
	}
	return result
}

// processPath processes the steps of a path a.b.c, flattened into one path node.
func (p *parser) processPath(expr *node) *node {
	var result *node
	lstep := p.process(expr.lhs)
	if lstep.typ == "path" {
		result = lstep
	} else {
		result = &node{typ: "path", items: []*node{lstep}, pos: expr.pos}
	}
	if lstep.typ == "parent" {
		result.seekingParent = []*slot{lstep.slot}
	}
	rest := p.process(expr.rhs)
	if rest.typ == "function" && rest.procedure.typ == "path" && len(rest.procedure.items) == 1 &&
		rest.procedure.items[0].typ == "name" && result.items[len(result.items)-1].typ == "function" {
		result.items[len(result.items)-1].nextFunc = rest.procedure.items[0].op
	}
	if rest.typ == "path" {
		result.items = append(result.items, rest.items...)
	} else {
		if rest.predicate != nil {
			rest.stages = rest.predicate
			rest.predicate = nil
		}
		result.items = append(result.items, rest)
	}
	for _, step := range result.items {
		switch step.typ {
		case "number", "value":
			panic(parseError{&Error{Code: "S0213", Position: step.pos, Value: literalValue(step),
				Message: "The literal value cannot be used as a step within a path expression"}})
		case "string":
			step.typ = "name"
		}
		if step.keepArray {
			result.keepSing = true
		}
	}
	first := result.items[0]
	if first.typ == "unary" && first.op == "[" {
		first.consarray = true
	}
	last := result.items[len(result.items)-1]
	if last.typ == "unary" && last.op == "[" {
		last.consarray = true
	}
	p.resolveAncestry(result)
	return result
}

// processPredicate processes a predicate step[expr], a filter stage of the step.
func (p *parser) processPredicate(expr *node) *node {
	result := p.process(expr.lhs)
	step := result
	isPath := false
	if result.typ == "path" {
		step = result.items[len(result.items)-1]
		isPath = true
	}
	if step.group != nil {
		panic(parseError{&Error{Code: "S0209", Position: expr.pos, Message: "A predicate cannot follow a grouping expression in a step"}})
	}
	pred := p.process(expr.rhs)
	if pred.seekingParent != nil {
		for _, sl := range pred.seekingParent {
			if sl.level == 1 {
				p.seekParent(step, sl)
			} else {
				sl.level--
			}
		}
		p.pushAncestry(step, pred)
	}
	st := &stage{typ: "filter", expr: pred, pos: expr.pos}
	if isPath {
		step.stages = append(step.stages, st)
	} else {
		step.predicate = append(step.predicate, st)
	}
	return result
}

// processGroup processes a grouping step{k: v}.
func (p *parser) processGroup(expr *node) *node {
	result := p.process(expr.lhs)
	if result.group != nil {
		panic(parseError{&Error{Code: "S0210", Position: expr.pos, Message: "Each step can only have one grouping expression"}})
	}
	g := &node{typ: "unary", op: "{", pos: expr.pos}
	for _, pr := range expr.pairs {
		k, v := p.process(pr[0]), p.process(pr[1])
		p.pushAncestry(result, k)
		p.pushAncestry(result, v)
		g.pairs = append(g.pairs, [2]*node{k, v})
	}
	result.group = g
	return result
}

// processSort processes an order-by step ^(terms).
func (p *parser) processSort(expr *node) *node {
	result := p.process(expr.lhs)
	if result.typ != "path" {
		result = &node{typ: "path", items: []*node{result}, pos: expr.pos}
	}
	s := &node{typ: "sort", pos: expr.pos}
	for _, t := range expr.terms {
		e := p.process(t.expr)
		p.pushAncestry(s, e)
		s.terms = append(s.terms, sortTerm{desc: t.desc, expr: e})
	}
	result.items = append(result.items, s)
	p.resolveAncestry(result)
	return result
}

// processFocus processes a context variable binding step@$v.
func (p *parser) processFocus(expr *node) *node {
	result := p.process(expr.lhs)
	step := result
	if result.typ == "path" {
		step = result.items[len(result.items)-1]
	}
	if step.stages != nil || step.predicate != nil {
		panic(parseError{&Error{Code: "S0215", Position: expr.pos, Message: "A context variable binding must precede any predicates on a step"}})
	}
	if step.typ == "sort" {
		panic(parseError{&Error{Code: "S0216", Position: expr.pos, Message: "A context variable binding must precede the 'order-by' clause on a step"}})
	}
	if expr.keepArray {
		step.keepArray = true
	}
	step.focus = expr.rhs.op
	step.hasFocus = true
	step.tuple = true
	return result
}

// processIndex processes a positional variable binding step#$i.
func (p *parser) processIndex(expr *node) *node {
	result := p.process(expr.lhs)
	step := result
	if result.typ == "path" {
		step = result.items[len(result.items)-1]
	} else {
		result = &node{typ: "path", items: []*node{result}, pos: expr.pos}
		if step.predicate != nil {
			step.stages = step.predicate
			step.predicate = nil
		}
	}
	if step.stages == nil {
		step.index = expr.rhs.op
	} else {
		step.stages = append(step.stages, &stage{typ: "index", index: expr.rhs.op, pos: expr.pos})
	}
	step.tuple = true
	return result
}

// processOperator processes any other binary operator.
func (p *parser) processOperator(expr *node) *node {
	result := &node{typ: "binary", op: expr.op, pos: expr.pos}
	result.lhs = p.process(expr.lhs)
	result.rhs = p.process(expr.rhs)
	p.pushAncestry(result, result.lhs)
	p.pushAncestry(result, result.rhs)
	return result
}

// processUnary processes array and object constructors and negation.
func (p *parser) processUnary(expr *node) *node {
	result := &node{typ: "unary", op: expr.op, pos: expr.pos}
	switch expr.op {
	case "[":
		for _, it := range expr.items {
			v := p.process(it)
			p.pushAncestry(result, v)
			result.items = append(result.items, v)
		}
	case "{":
		for _, pr := range expr.pairs {
			k, v := p.process(pr[0]), p.process(pr[1])
			p.pushAncestry(result, k)
			p.pushAncestry(result, v)
			result.pairs = append(result.pairs, [2]*node{k, v})
		}
	default:
		result.lhs = p.process(expr.lhs)
		if result.lhs.typ == "number" {
			result = result.lhs
			result.num = -result.num
		} else {
			p.pushAncestry(result, result.lhs)
		}
	}
	return result
}

func literalValue(n *node) any {
	switch n.typ {
	case "number":
		return n.num
	case "value":
		return n.val
	}
	return n.op
}

func tailCallOptimize(expr *node) *node {
	switch {
	case expr.typ == "function" && expr.predicate == nil:
		return &node{typ: "lambda", thunk: true, pos: expr.pos, body: expr}
	case expr.typ == "condition":
		expr.then = tailCallOptimize(expr.then)
		if expr.els != nil {
			expr.els = tailCallOptimize(expr.els)
		}
	case expr.typ == "block" && len(expr.items) > 0:
		expr.items[len(expr.items)-1] = tailCallOptimize(expr.items[len(expr.items)-1])
	}
	return expr
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b []byte
	for i > 0 {
		b = append([]byte{byte('0' + i%10)}, b...)
		i /= 10
	}
	return string(b)
}

// seekParent walks back from n to find the step whose input is the parent
// that slot asks for, marking it to bind that input under slot's label.
func (p *parser) seekParent(n *node, sl *slot) *slot {
	switch n.typ {
	case "name", "wildcard":
		sl.level--
		if sl.level == 0 {
			if n.ancestor != nil {
				p.ancestry[sl.index].slot.label = n.ancestor.label
			}
			n.ancestor = sl
			n.tuple = true
		}
	case "parent":
		sl.level++
	case "block":
		if len(n.items) > 0 {
			n.tuple = true
			sl = p.seekParent(n.items[len(n.items)-1], sl)
		}
	case "path":
		n.tuple = true
		i := len(n.items) - 1
		sl = p.seekParent(n.items[i], sl)
		i--
		for sl.level > 0 && i >= 0 {
			sl = p.seekParent(n.items[i], sl)
			i--
		}
	default:
		panic(parseError{&Error{Code: "S0217", Position: n.pos, Token: n.typ, Message: "The object representing the 'parent' cannot be derived from this expression"}})
	}
	return sl
}

func (p *parser) pushAncestry(result, value *node) {
	if value.seekingParent == nil && value.typ != "parent" {
		return
	}
	slots := value.seekingParent
	if value.typ == "parent" {
		slots = append(slots, value.slot)
	}
	result.seekingParent = append(result.seekingParent, slots...)
}

func (p *parser) resolveAncestry(path *node) {
	last := path.items[len(path.items)-1]
	slots := append([]*slot(nil), last.seekingParent...)
	if last.typ == "parent" {
		slots = append(slots, last.slot)
	}
	for _, sl := range slots {
		i := len(path.items) - 2
		for sl.level > 0 {
			if i < 0 {
				path.seekingParent = append(path.seekingParent, sl)
				break
			}
			step := path.items[i]
			i--
			for i >= 0 && step.hasFocus && path.items[i].hasFocus {
				step = path.items[i]
				i--
			}
			sl = p.seekParent(step, sl)
		}
	}
}

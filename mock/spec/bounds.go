package spec

// Bounds are the constraint keywords of a response field, as its record checks
// compiled them: what a generator must respect to make a value Check accepts. A nil
// pointer is no bound.
type Bounds struct {
	// MinLength and MaxLength bound a string, in code points.
	MinLength, MaxLength *int64
	// Pattern is the regular expression a string must contain a match of, in Go's
	// syntax (Rust's Unicode classes spelled out); PatternSource is as written.
	Pattern, PatternSource string
	// Minimum and Maximum bound a number; the Exclusive flags make them strict.
	Minimum, Maximum                   *float64
	ExclusiveMinimum, ExclusiveMaximum bool
	// MultipleOf is the number a number must be a multiple of.
	MultipleOf *float64
	// MinItems and MaxItems bound an array.
	MinItems, MaxItems *int64
}

// Bounds returns the field's constraint keywords. Record checks compile one check
// per keyword and type; a keyword on both integer and number reads the same.
func (f *Field) Bounds() Bounds {
	var b Bounds
	for _, tc := range f.checks {
		switch c := tc.c.(type) {
		case minLength:
			n := int64(c)
			b.MinLength = &n
		case maxLength:
			n := int64(c)
			b.MaxLength = &n
		case *pattern:
			b.Pattern, b.PatternSource = c.re.String(), c.src
		case minItems:
			n := int64(c)
			b.MinItems = &n
		case maxItems:
			n := int64(c)
			b.MaxItems = &n
		case *bound:
			v := c.f
			if c.isInt {
				v = float64(c.i)
			}
			switch c.kind {
			case boundMultipleOf:
				b.MultipleOf = &v
			case boundLE:
				b.Maximum = &v
			case boundLT:
				b.Maximum, b.ExclusiveMaximum = &v, true
			case boundGE:
				b.Minimum = &v
			case boundGT:
				b.Minimum, b.ExclusiveMinimum = &v, true
			}
		}
	}
	return b
}

package modkit

import "reflect"

// FastPath reports whether TypedEvent encodes ev's type itself rather than
// through the SDK.
func FastPath(ev any) bool { return planOf(reflect.TypeOf(ev)) != nil }

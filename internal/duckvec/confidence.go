package duckvec

/*
#include "duckvec.h"
*/
import "C"

import "unsafe"

// Confidences formats each p with classes.c's confidence format, the C half of the
// confidence format both bindings write results with: the door through which
// TestConfidenceFormats holds it to models.AppendConfidence, its Go half.
func Confidences(ps []float32) []string {
	if len(ps) == 0 {
		return nil
	}
	raw := make([][16]byte, len(ps))
	C.duckvec_confidences((*C.float)(unsafe.Pointer(&ps[0])), C.uint64_t(len(ps)), (*C.duckvec_str)(unsafe.Pointer(&raw[0])))
	out := make([]string, len(ps))
	for i, s := range raw {
		n := *(*uint32)(unsafe.Pointer(&s[0]))
		out[i] = string(s[4 : 4+n])
	}
	return out
}

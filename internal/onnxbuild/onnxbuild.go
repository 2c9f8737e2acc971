package onnxbuild

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// DataType is onnx.TensorProto.DataType.
type DataType int32

// Element types used by duckinfer models.
const (
	Float  DataType = 1
	Int32  DataType = 6
	Int64  DataType = 7
	String DataType = 8
	Bool   DataType = 9
	Double DataType = 11
)

// AttrType is onnx.AttributeProto.AttributeType.
type AttrType int32

// Attribute types this package can write.
const (
	AttrFloatType   AttrType = 1
	AttrIntType     AttrType = 2
	AttrStringType  AttrType = 3
	AttrTensorType  AttrType = 4
	AttrFloatsType  AttrType = 6
	AttrIntsType    AttrType = 7
	AttrStringsType AttrType = 8
)

// Default versions: IR 8 with opset 17 is what ORT ≥ 1.13 and onnx ≥ 1.12
// (Debian's checker) both accept, and has every operator duckinfer uses.
const (
	DefaultIRVersion      = 8
	DefaultOpset          = 17
	MicrosoftDomain       = "com.microsoft"
	DefaultMicrosoftOpset = 1
)

// Model is onnx.ModelProto.
type Model struct {
	IRVersion       int64
	Opsets          []OpsetID
	ProducerName    string
	ProducerVersion string
	Domain          string
	ModelVersion    int64
	DocString       string
	Graph           *Graph
	// Metadata is written in the order given (ONNX's map-like
	// metadata_props is a list; keeping order keeps bytes stable).
	Metadata []StringEntry
}

// OpsetID is onnx.OperatorSetIdProto; Domain "" is the default ai.onnx domain.
type OpsetID struct {
	Domain  string
	Version int64
}

// StringEntry is onnx.StringStringEntryProto.
type StringEntry struct{ Key, Value string }

// Graph is onnx.GraphProto.
type Graph struct {
	Name         string
	DocString    string
	Nodes        []*Node
	Initializers []*Tensor
	Inputs       []*ValueInfo
	Outputs      []*ValueInfo
	ValueInfo    []*ValueInfo
}

// Node is onnx.NodeProto.
type Node struct {
	Name      string
	OpType    string
	Domain    string
	Inputs    []string
	Outputs   []string
	Attrs     []*Attribute
	DocString string
}

// Attribute is onnx.AttributeProto; Type selects which value field is written.
type Attribute struct {
	Name    string
	Type    AttrType
	F       float32
	I       int64
	S       string
	T       *Tensor
	Floats  []float32
	Ints    []int64
	Strings []string
}

// Tensor is onnx.TensorProto. Float and Int64 data are written as raw_data
// (little-endian, the compact form ORT and onnx prefer); strings as string_data.
type Tensor struct {
	Name     string
	DataType DataType
	Dims     []int64
	Floats   []float32
	Int64s   []int64
	Strings  []string
}

// Dim is one dimension of a tensor type: a fixed size, a symbolic name, or
// (Value < 0 and Param == "") unknown.
type Dim struct {
	Value int64
	Param string
}

// ValueInfo is onnx.ValueInfoProto with a tensor type.
type ValueInfo struct {
	Name     string
	ElemType DataType
	// Shape nil means "rank unknown"; an empty non-nil slice means a scalar.
	Shape     []Dim
	DocString string
	// SeqMapKey, when set, makes the type sequence(map(SeqMapKey, ElemType)), what
	// ZipMap outputs (Shape is then ignored).
	SeqMapKey DataType
}

// --- constructors -----------------------------------------------------------

// N is the symbolic batch dimension used by duckinfer models.
var N = Dim{Param: "N"}

// D returns a fixed dimension; a negative n gives an unknown dimension.
func D(n int64) Dim { return Dim{Value: n} }

// Sym returns a symbolic dimension.
func Sym(name string) Dim { return Dim{Param: name} }

// TensorValue describes a graph input or output.
func TensorValue(name string, elem DataType, shape ...Dim) *ValueInfo {
	if shape == nil {
		shape = []Dim{}
	}
	return &ValueInfo{Name: name, ElemType: elem, Shape: shape}
}

// FloatTensor returns a float tensor; len(data) must equal the product of dims.
func FloatTensor(name string, dims []int64, data []float32) *Tensor {
	return &Tensor{Name: name, DataType: Float, Dims: dims, Floats: data}
}

// Int64Tensor returns an int64 tensor.
func Int64Tensor(name string, dims []int64, data []int64) *Tensor {
	return &Tensor{Name: name, DataType: Int64, Dims: dims, Int64s: data}
}

// StringTensor returns a string tensor.
func StringTensor(name string, dims []int64, data []string) *Tensor {
	return &Tensor{Name: name, DataType: String, Dims: dims, Strings: data}
}

// AttrFloat returns a float attribute.
func AttrFloat(name string, v float32) *Attribute {
	return &Attribute{Name: name, Type: AttrFloatType, F: v}
}

// AttrInt returns an int attribute.
func AttrInt(name string, v int64) *Attribute {
	return &Attribute{Name: name, Type: AttrIntType, I: v}
}

// AttrString returns a string attribute.
func AttrString(name, v string) *Attribute {
	return &Attribute{Name: name, Type: AttrStringType, S: v}
}

// AttrTensor returns a tensor attribute.
func AttrTensor(name string, t *Tensor) *Attribute {
	return &Attribute{Name: name, Type: AttrTensorType, T: t}
}

// AttrFloats returns a float-list attribute.
func AttrFloats(name string, v []float32) *Attribute {
	return &Attribute{Name: name, Type: AttrFloatsType, Floats: v}
}

// AttrInts returns an int-list attribute.
func AttrInts(name string, v []int64) *Attribute {
	return &Attribute{Name: name, Type: AttrIntsType, Ints: v}
}

// AttrStrings returns a string-list attribute.
func AttrStrings(name string, v []string) *Attribute {
	return &Attribute{Name: name, Type: AttrStringsType, Strings: v}
}

// NewNode returns a node in the default domain.
func NewNode(opType string, inputs, outputs []string, attrs ...*Attribute) *Node {
	return &Node{OpType: opType, Inputs: inputs, Outputs: outputs, Attrs: attrs}
}

// NewModel returns a model with the default IR version and an ai.onnx opset
// import; add com.microsoft with UseMicrosoftDomain.
func NewModel(g *Graph) *Model {
	return &Model{
		IRVersion:    DefaultIRVersion,
		Opsets:       []OpsetID{{Domain: "", Version: DefaultOpset}},
		ProducerName: "duckinfer-onnxbuild",
		Graph:        g,
	}
}

// UseMicrosoftDomain adds the com.microsoft opset import (needed for
// contrib operators such as Tokenizer) unless it is already there.
func (m *Model) UseMicrosoftDomain() *Model {
	for _, o := range m.Opsets {
		if o.Domain == MicrosoftDomain {
			return m
		}
	}
	m.Opsets = append(m.Opsets, OpsetID{Domain: MicrosoftDomain, Version: DefaultMicrosoftOpset})
	return m
}

// --- encoding ---------------------------------------------------------------

// Marshal encodes the model as ONNX protobuf bytes. It checks only what would
// make the file unreadable (missing graph, bad tensor sizes); semantic checks
// are ORT's job when the model is loaded.
func (m *Model) Marshal() ([]byte, error) {
	if m.Graph == nil {
		return nil, errors.New("onnxbuild: model has no graph; set Model.Graph")
	}
	var b []byte
	b = appendInt(b, 1, m.IRVersion)
	b = appendString(b, 2, m.ProducerName)
	b = appendString(b, 3, m.ProducerVersion)
	b = appendString(b, 4, m.Domain)
	if m.ModelVersion != 0 {
		b = appendInt(b, 5, m.ModelVersion)
	}
	b = appendString(b, 6, m.DocString)
	g, err := m.Graph.marshal()
	if err != nil {
		return nil, err
	}
	b = appendMsg(b, 7, g)
	for _, o := range m.Opsets {
		var ob []byte
		// Domain "" is written explicitly: some readers treat absent and
		// empty alike, but writing it matches what onnx's helpers emit.
		ob = protowire.AppendTag(ob, 1, protowire.BytesType)
		ob = protowire.AppendString(ob, o.Domain)
		ob = appendInt(ob, 2, o.Version)
		b = appendMsg(b, 8, ob)
	}
	for _, e := range m.Metadata {
		var eb []byte
		eb = appendString(eb, 1, e.Key)
		eb = appendString(eb, 2, e.Value)
		b = appendMsg(b, 14, eb)
	}
	return b, nil
}

func (g *Graph) marshal() ([]byte, error) {
	var b []byte
	for i, n := range g.Nodes {
		nb, err := n.marshal()
		if err != nil {
			return nil, fmt.Errorf("onnxbuild: node %d (%s %q): %w", i, n.OpType, n.Name, err)
		}
		b = appendMsg(b, 1, nb)
	}
	b = appendString(b, 2, g.Name)
	for _, t := range g.Initializers {
		tb, err := t.marshal()
		if err != nil {
			return nil, fmt.Errorf("onnxbuild: initializer %q: %w", t.Name, err)
		}
		b = appendMsg(b, 5, tb)
	}
	b = appendString(b, 10, g.DocString)
	for _, v := range g.Inputs {
		b = appendMsg(b, 11, v.marshal())
	}
	for _, v := range g.Outputs {
		b = appendMsg(b, 12, v.marshal())
	}
	for _, v := range g.ValueInfo {
		b = appendMsg(b, 13, v.marshal())
	}
	return b, nil
}

func (n *Node) marshal() ([]byte, error) {
	if n.OpType == "" {
		return nil, errors.New("empty op_type; set Node.OpType")
	}
	var b []byte
	for _, s := range n.Inputs {
		// Empty input names are meaningful (an omitted optional input), so
		// they are written even when empty.
		b = protowire.AppendTag(b, 1, protowire.BytesType)
		b = protowire.AppendString(b, s)
	}
	for _, s := range n.Outputs {
		b = protowire.AppendTag(b, 2, protowire.BytesType)
		b = protowire.AppendString(b, s)
	}
	b = appendString(b, 3, n.Name)
	b = appendString(b, 4, n.OpType)
	for _, a := range n.Attrs {
		ab, err := a.marshal()
		if err != nil {
			return nil, fmt.Errorf("attribute %q: %w", a.Name, err)
		}
		b = appendMsg(b, 5, ab)
	}
	b = appendString(b, 6, n.DocString)
	b = appendString(b, 7, n.Domain)
	return b, nil
}

func (a *Attribute) marshal() ([]byte, error) {
	if a.Name == "" {
		return nil, errors.New("empty attribute name")
	}
	var b []byte
	b = appendString(b, 1, a.Name)
	switch a.Type {
	case AttrFloatType:
		b = protowire.AppendTag(b, 2, protowire.Fixed32Type)
		b = protowire.AppendFixed32(b, math.Float32bits(a.F))
	case AttrIntType:
		b = protowire.AppendTag(b, 3, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(a.I))
	case AttrStringType:
		b = protowire.AppendTag(b, 4, protowire.BytesType)
		b = protowire.AppendString(b, a.S)
	case AttrTensorType:
		if a.T == nil {
			return nil, errors.New("tensor attribute with nil tensor")
		}
		tb, err := a.T.marshal()
		if err != nil {
			return nil, err
		}
		b = appendMsg(b, 5, tb)
	case AttrFloatsType:
		var p []byte
		for _, f := range a.Floats {
			p = protowire.AppendFixed32(p, math.Float32bits(f))
		}
		b = appendMsg(b, 7, p) // packed: proto2 readers accept packed and unpacked alike
	case AttrIntsType:
		var p []byte
		for _, v := range a.Ints {
			p = protowire.AppendVarint(p, uint64(v))
		}
		b = appendMsg(b, 8, p)
	case AttrStringsType:
		for _, s := range a.Strings {
			b = protowire.AppendTag(b, 9, protowire.BytesType)
			b = protowire.AppendString(b, s)
		}
	default:
		return nil, fmt.Errorf("unsupported attribute type %d", a.Type)
	}
	b = protowire.AppendTag(b, 20, protowire.VarintType)
	b = protowire.AppendVarint(b, uint64(a.Type))
	return b, nil
}

func (t *Tensor) marshal() ([]byte, error) {
	n := int64(1)
	for _, d := range t.Dims {
		if d < 0 {
			return nil, fmt.Errorf("negative dimension %d in tensor dims %v", d, t.Dims)
		}
		n *= d
	}
	var b []byte
	if len(t.Dims) > 0 {
		var p []byte
		for _, d := range t.Dims {
			p = protowire.AppendVarint(p, uint64(d))
		}
		b = appendMsg(b, 1, p)
	}
	b = protowire.AppendTag(b, 2, protowire.VarintType)
	b = protowire.AppendVarint(b, uint64(t.DataType))
	switch t.DataType {
	case Float:
		if int64(len(t.Floats)) != n {
			return nil, fmt.Errorf("dims %v need %d floats, have %d", t.Dims, n, len(t.Floats))
		}
		raw := make([]byte, 4*len(t.Floats))
		for i, f := range t.Floats {
			binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(f))
		}
		b = appendString(b, 8, t.Name)
		b = protowire.AppendTag(b, 9, protowire.BytesType)
		b = protowire.AppendBytes(b, raw)
		return b, nil
	case Int64:
		if int64(len(t.Int64s)) != n {
			return nil, fmt.Errorf("dims %v need %d int64s, have %d", t.Dims, n, len(t.Int64s))
		}
		raw := make([]byte, 8*len(t.Int64s))
		for i, v := range t.Int64s {
			binary.LittleEndian.PutUint64(raw[8*i:], uint64(v))
		}
		b = appendString(b, 8, t.Name)
		b = protowire.AppendTag(b, 9, protowire.BytesType)
		b = protowire.AppendBytes(b, raw)
		return b, nil
	case String:
		if int64(len(t.Strings)) != n {
			return nil, fmt.Errorf("dims %v need %d strings, have %d", t.Dims, n, len(t.Strings))
		}
		for _, s := range t.Strings {
			b = protowire.AppendTag(b, 6, protowire.BytesType)
			b = protowire.AppendString(b, s)
		}
		b = appendString(b, 8, t.Name)
		return b, nil
	default:
		return nil, fmt.Errorf("unsupported tensor data type %d (use Float, Int64 or String)", t.DataType)
	}
}

func (v *ValueInfo) marshal() []byte {
	var tt []byte // TypeProto.Tensor
	tt = protowire.AppendTag(tt, 1, protowire.VarintType)
	tt = protowire.AppendVarint(tt, uint64(v.ElemType))
	if v.Shape != nil {
		var sh []byte // TensorShapeProto
		for _, d := range v.Shape {
			var db []byte
			switch {
			case d.Param != "":
				db = appendString(db, 2, d.Param)
			case d.Value >= 0:
				db = protowire.AppendTag(db, 1, protowire.VarintType)
				db = protowire.AppendVarint(db, uint64(d.Value))
			}
			sh = appendMsg(sh, 1, db)
		}
		// An empty shape message still has to be present: it means rank 0.
		tt = appendMsg(tt, 2, sh)
	}
	var tp []byte
	tp = appendMsg(tp, 1, tt)
	if v.SeqMapKey != 0 {
		// TypeProto{sequence_type(4): {elem_type(1): {map_type(5): {key_type(1),
		// value_type(2): tensor(ElemType), a scalar}}}}
		var scalar []byte
		scalar = protowire.AppendTag(scalar, 1, protowire.VarintType)
		scalar = protowire.AppendVarint(scalar, uint64(v.ElemType))
		var val []byte
		val = appendMsg(val, 1, scalar)
		var mp []byte
		mp = protowire.AppendTag(mp, 1, protowire.VarintType)
		mp = protowire.AppendVarint(mp, uint64(v.SeqMapKey))
		mp = appendMsg(mp, 2, val)
		var elem []byte
		elem = appendMsg(elem, 5, mp)
		var seq []byte
		seq = appendMsg(seq, 1, elem)
		tp = appendMsg(nil, 4, seq)
	}
	var b []byte
	b = appendString(b, 1, v.Name)
	b = appendMsg(b, 2, tp)
	b = appendString(b, 3, v.DocString)
	return b
}

// appendString writes a string field, skipping empty ones (proto2 optional
// fields left unset read back as "").
func appendString(b []byte, num protowire.Number, s string) []byte {
	if s == "" {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, s)
}

func appendInt(b []byte, num protowire.Number, v int64) []byte {
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, uint64(v))
}

func appendMsg(b []byte, num protowire.Number, msg []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, msg)
}

// Microsoft returns a node in the com.microsoft domain (ORT contrib
// operators); the model must also call UseMicrosoftDomain.
func Microsoft(opType string, inputs, outputs []string, attrs ...*Attribute) *Node {
	n := NewNode(opType, inputs, outputs, attrs...)
	n.Domain = MicrosoftDomain
	return n
}

package cmd

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"

	gogoproto "github.com/cosmos/gogoproto/proto"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
)

// cliDescriptors are the descriptors the CLI builds its commands and decodes
// the node's answers with: the files of protoregistry's global registry,
// else gogoproto's, the precedence of gogoproto's MergedRegistry (what the
// SDK's autocli uses). MergedRegistry converts and rebuilds all of them, 460
// files, which was most of the CPU of a CLI call; here a file is rebuilt
// only when it is first needed, and only when it must be: a gogoproto-only
// file (gogoproto built its own copy as the file registered, before the
// files registered after it, whose types are placeholders in it), and a
// global file that imports a placeholder (a file protoregistry does not
// have), or a file that must be rebuilt. A rebuilt file is built against
// this resolver, so that every type it refers to is real.
type cliDescriptors struct {
	built    *protoregistry.Files // the files rebuilt so far
	complete map[string]bool      // whether a global file and all it imports are free of placeholders
}

func cliFiles() *cliDescriptors {
	return &cliDescriptors{built: new(protoregistry.Files), complete: map[string]bool{}}
}

// FindFileByPath returns the file at path.
func (r *cliDescriptors) FindFileByPath(path string) (protoreflect.FileDescriptor, error) {
	if fd, err := r.built.FindFileByPath(path); err == nil {
		return fd, nil
	}
	if fd, err := protoregistry.GlobalFiles.FindFileByPath(path); err == nil {
		if r.isComplete(fd) {
			return fd, nil
		}
		return r.rebuild(protodesc.ToFileDescriptorProto(fd))
	}
	gz := gogoproto.FileDescriptor(path)
	if gz == nil {
		return nil, fmt.Errorf("proto file %s: %w", path, protoregistry.NotFound)
	}
	fdp, err := unzipFileDescriptor(gz)
	if err != nil {
		return nil, fmt.Errorf("proto file %s: %w", path, err)
	}
	return r.rebuild(fdp)
}

// FindDescriptorByName returns the descriptor of name, from its file as
// FindFileByPath returns it.
func (r *cliDescriptors) FindDescriptorByName(name protoreflect.FullName) (protoreflect.Descriptor, error) {
	if d, err := r.built.FindDescriptorByName(name); err == nil {
		return d, nil
	}
	d, err := protoregistry.GlobalFiles.FindDescriptorByName(name)
	if err == nil && r.isComplete(d.ParentFile()) {
		return d, nil
	}
	if err != nil {
		if d, err = gogoproto.GogoResolver.FindDescriptorByName(name); err != nil {
			return nil, err
		}
	}
	if _, err := r.FindFileByPath(d.ParentFile().Path()); err != nil {
		return nil, err
	}
	return r.built.FindDescriptorByName(name)
}

// RangeFiles calls f with every file, as FindFileByPath returns it (a file
// that does not rebuild is given as its registry has it;
// TestCLIDescriptorsMatchMergedRegistry rebuilds them all).
func (r *cliDescriptors) RangeFiles(f func(protoreflect.FileDescriptor) bool) {
	var all []protoreflect.FileDescriptor
	seen := map[string]bool{}
	protoregistry.GlobalFiles.RangeFiles(func(fd protoreflect.FileDescriptor) bool {
		seen[fd.Path()] = true
		all = append(all, fd)
		return true
	})
	gogoproto.GogoResolver.RangeFiles(func(fd protoreflect.FileDescriptor) bool {
		if !seen[fd.Path()] {
			all = append(all, fd)
		}
		return true
	})
	for _, fd := range all {
		if found, err := r.FindFileByPath(fd.Path()); err == nil {
			fd = found
		}
		if !f(fd) {
			return
		}
	}
}

// isComplete: fd, a global file, and every file it imports, transitively,
// import no placeholder.
func (r *cliDescriptors) isComplete(fd protoreflect.FileDescriptor) bool {
	if ok, known := r.complete[fd.Path()]; known {
		return ok
	}
	ok := true
	for i := 0; i < fd.Imports().Len() && ok; i++ {
		imp := fd.Imports().Get(i)
		ok = !imp.IsPlaceholder() && r.isComplete(imp.FileDescriptor)
	}
	r.complete[fd.Path()] = ok
	return ok
}

// rebuild builds fdp against this resolver and keeps it.
func (r *cliDescriptors) rebuild(fdp *descriptorpb.FileDescriptorProto) (protoreflect.FileDescriptor, error) {
	fd, err := protodesc.NewFile(fdp, r)
	if err != nil {
		return nil, fmt.Errorf("proto file %s: %w", fdp.GetName(), err)
	}
	if err := r.built.RegisterFile(fd); err != nil {
		return nil, fmt.Errorf("proto file %s: %w", fdp.GetName(), err)
	}
	return fd, nil
}

// unzipFileDescriptor decodes a gzipped FileDescriptorProto, as gogoproto
// registers a file.
func unzipFileDescriptor(gz []byte) (*descriptorpb.FileDescriptorProto, error) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, err
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return nil, err
	}
	fdp := &descriptorpb.FileDescriptorProto{}
	if err := proto.Unmarshal(raw, fdp); err != nil {
		return nil, err
	}
	return fdp, nil
}

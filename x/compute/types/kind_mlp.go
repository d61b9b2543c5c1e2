package types

import (
	"context"
	"errors"
	"fmt"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/workload"
)

func init() { RegisterKind(mlpKind()) }

// mlpDatasetFormat is the dataset format mlp jobs read (x/datamarket's
// npy-f32).
const mlpDatasetFormat = "npy-f32"

// mlpKind is the mlp-f32 row: every row of a dataset (x/datamarket) through
// a model's dense layers (x/modelregistry). The spec names both; the rows
// and their columns come from the dataset, the output columns from the
// model, whose input_dim must equal the dataset's columns. The job records
// the model's and the dataset's fees and share snapshots and the dataset
// version and root it runs on. The work is rows × the model's charge per
// row and its kernel calls per chunk, from the layer widths the registry
// records (mlpWork; 0 for a model registered before it did).
// Not simulated: it needs a model and a dataset on chain.
func mlpKind() WorkloadKind {
	return WorkloadKind{
		Name:     workload.KindMLP,
		Spec:     SpecMLP,
		Validate: validateMLP,
		Resolve:  resolveMLP,
		MaxRows:  maxSize,
	}
}

func validateMLP(w WorkloadSpec) (uint64, error) {
	if w.Mlp.ModelId == 0 || w.Mlp.DatasetId == 0 {
		return 0, ErrInvalidWorkload.Wrap("mlp needs model_id and dataset_id")
	}
	return 0, nil
}

func resolveMLP(ctx context.Context, st KindState, w WorkloadSpec, requester string) (JobTerms, error) {
	m := w.Mlp
	if st.Datasets == nil {
		return JobTerms{}, ErrDatasetsUnavailable.Wrapf("dataset %d", m.DatasetId)
	}
	if st.Models == nil {
		return JobTerms{}, ErrModelsUnavailable.Wrapf("model %d", m.ModelId)
	}
	dterms, err := st.Datasets.DatasetTermsForJob(ctx, m.DatasetId, requester, m.DatasetVersion)
	if err != nil {
		return JobTerms{}, ErrInvalidWorkload.Wrapf("dataset %d: %v", m.DatasetId, err)
	}
	if err := checkPinnedVersion(m.DatasetId, m.DatasetVersion, dterms); err != nil {
		return JobTerms{}, err
	}
	mterms, err := st.Models.ModelTermsForJob(ctx, m.ModelId, dterms.Rows)
	if err != nil {
		return JobTerms{}, ErrInvalidWorkload.Wrapf("model %d: %v", m.ModelId, err)
	}
	if mterms.Architecture != workload.KindMLP {
		return JobTerms{}, ErrInvalidWorkload.Wrapf("model %d is %q, an %s job needs an %s model", m.ModelId, mterms.Architecture, workload.KindMLP, workload.KindMLP)
	}
	if dterms.Format != "" && dterms.Format != mlpDatasetFormat {
		return JobTerms{}, ErrInvalidWorkload.Wrapf("dataset %d is %s, an %s job reads %s rows", m.DatasetId, dterms.Format, workload.KindMLP, mlpDatasetFormat)
	}
	if mterms.InputDim != dterms.Cols {
		return JobTerms{}, ErrShapeMismatch.Wrapf("model %d input_dim %d, dataset %d cols %d",
			m.ModelId, mterms.InputDim, m.DatasetId, dterms.Cols)
	}
	if err := checkActivation(m.ModelId, mterms.WidestLayer, dterms.Rows); err != nil {
		return JobTerms{}, err
	}
	work, err := mlpWork(mterms.RowMulAdds, mterms.Layers, dterms.Rows, w.ChunkRows)
	if err != nil {
		return JobTerms{}, ErrInvalidWorkload.Wrapf("model %d: %v", m.ModelId, err)
	}
	return JobTerms{
		Shape: WorkloadShape{Rows: dterms.Rows, Cols: mterms.OutputDim, MulAdds: work,
			InputCols: dterms.Cols, InputRowsPerChunk: dterms.RowsPerChunk, RowValues: mterms.RowValues},
		ModelID: m.ModelId, Model: mterms,
		DatasetID: m.DatasetId, Dataset: dterms,
	}, nil
}

// mlpWork is an mlp-f32 job's work (workload.MLPWork, the rule gpt-f32's
// charge follows): rows × the model's charge per row (its products and
// outputs, x/modelregistry's RowMulAdds) and GPTCallMulAdds per layer per
// chunk, since each chunk is one kernel call a layer whatever its rows; a
// charge of products alone let 1024 one-wide layers cost the verifiers
// 1024 calls a chunk for 1024 multiply-adds
// (TestAttackMLPTinyLayersChargedBelowTheirKernelCalls). The layers are
// the model's recorded ones (ModelTerms.Layers); terms that carry a row's
// charge but no layer count are charged workload.MLPLayersBound, the most
// layers such a row can have, never fewer than the model's. A chunk's work is bounded as a gpt-f32 chunk's is (GPTMaxChunkMulAdds: what
// one sidecar recomputes of a sampled chunk) and the job's by
// GPTMaxJobMulAdds; the exec window and the verification budget then bound
// it as they bound every kind's (Params.AdmitJob, AdmitAssurance). A model
// whose layer widths the registry did not record (registered before it did)
// has no known work, and a new job on it is refused: resolved with work 0,
// it skipped every one of those bounds (TestAttackPreUpgradeMLPModelSkipsTheWorkBounds).
// Its owner publishes the same weights again as a version with its hidden
// widths. (A job created on it before this rule keeps the work 0 it recorded.)
func mlpWork(rowMulAdds, layers, rows, chunkRows uint64) (uint64, error) {
	if rowMulAdds == 0 {
		return 0, errors.New("the model's layer widths are not on chain (it was registered before the chain recorded them), so the job's work is unknown: " +
			"its owner can publish the same weights again as a new version with --hidden-dims")
	}
	if layers == 0 {
		layers = workload.MLPLayersBound(rowMulAdds)
	}
	work, chunk := workload.MLPWork(rowMulAdds, layers, rows, chunkRows)
	if chunk > GPTMaxChunkMulAdds {
		return 0, fmt.Errorf("a chunk of %d rows and %d layers' calls is %d multiply-adds, over %d per chunk: lower chunk_rows",
			min(max(chunkRows, 1), rows), layers, chunk, uint64(GPTMaxChunkMulAdds))
	}
	if work > GPTMaxJobMulAdds {
		return 0, fmt.Errorf("the job is %d multiply-adds, over %d", work, uint64(GPTMaxJobMulAdds))
	}
	return work, nil
}

// checkPinnedVersion refuses a job that pins a dataset version (pin > 0)
// other than the dataset's current one: the owner published other content
// between the requester's look and the transaction.
func checkPinnedVersion(datasetID, pin uint64, d common.DatasetTerms) error {
	if pin != 0 && pin != d.Version {
		return ErrDatasetVersionChanged.Wrapf("dataset %d is at version %d; the job pins version %d", datasetID, d.Version, pin)
	}
	return nil
}

// checkActivation refuses an mlp-f32 job whose rows through the model's
// widest layer hold more than workload.MaxDenseElements values: no agent
// runs it (workload.NewMLPJob refuses it), and an abort's input check finds
// the inputs unusable (jobexec's checkMLPInputs, the same bound, layer by
// layer), which would make the model's owner pay for a pairing the
// requester chose (its availability bond, x/compute ModelBond).
func checkActivation(modelID, widest, rows uint64) error {
	if widest > 0 && rows > workload.MaxDenseElements/widest {
		return ErrInvalidWorkload.Wrapf("model %d: a layer's activation over the dataset's %d rows, %d×%d, exceeds %d values",
			modelID, rows, rows, widest, uint64(workload.MaxDenseElements))
	}
	return nil
}

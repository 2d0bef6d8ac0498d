import { externalDataEntries, isExternal } from './external-data-info';
import type { OnnxModel } from './model';
import type { ExternalDataPlan } from './plan-external-data';
import { DATA_LOCATION_EXTERNAL, type ModelProto, onnx, type TensorProto } from './proto';
import { readTensorBytes } from './tensor-proto';

/**
 * A copy of the model proto whose initializers follow `plan`: external ones point at their new file and
 * offset, inline ones carry their bytes. Unchanged initializers are shared; the input model is untouched.
 */
export function relocateInitializers(model: OnnxModel, plan: ExternalDataPlan): ModelProto {
  const initializer = plan.placements.map((placement): TensorProto => {
    const { tensor } = placement;
    const base = {
      name: tensor.name,
      dims: tensor.dims,
      dataType: tensor.dataType,
      docString: tensor.docString,
    };
    if (placement.file !== undefined) {
      const location = plan.files[placement.file].location;
      return onnx.TensorProto.create({
        ...base,
        dataLocation: DATA_LOCATION_EXTERNAL,
        externalData: externalDataEntries({
          location,
          offset: placement.offset,
          length: placement.byteLength,
        }),
      });
    }
    if (!isExternal(tensor)) return tensor;
    return onnx.TensorProto.create({ ...base, rawData: readTensorBytes(tensor, model.source) });
  });
  const { proto } = model;
  return onnx.ModelProto.create({ ...proto, graph: onnx.GraphProto.create({ ...proto.graph, initializer }) });
}

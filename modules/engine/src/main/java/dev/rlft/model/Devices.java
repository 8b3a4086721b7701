package dev.rlft.model;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

/**
 * The process-wide compute device (from {@code rlft.model.device}) and the floating-point types it
 * allows. {@code auto} picks the first GPU when the CUDA native build is on the class path and a
 * GPU is visible, else the CPU; no code path assumes a GPU.
 */
public final class Devices {

  private static volatile Device chosen;

  private Devices() {}

  /** Sets the device: {@code auto}, {@code cpu}, {@code gpu} or {@code gpu:N}; a missing GPU is an error. */
  public static Device select(String spec) {
    String s = spec.trim().toLowerCase();
    int gpus = Engine.getInstance().getGpuCount();
    Device d;
    if (s.equals("auto")) {
      d = gpus > 0 ? Device.gpu() : Device.cpu();
    } else if (s.equals("cpu")) {
      d = Device.cpu();
    } else if (s.equals("gpu") || s.startsWith("gpu:")) {
      int id = s.equals("gpu") ? 0 : parseId(s);
      if (id >= gpus) {
        throw new IllegalArgumentException("model.device = " + spec + " but " + gpus + " GPU(s) are visible"
            + (gpus == 0 ? " (is the CUDA build on the class path? build with -Pcuda)" : ""));
      }
      d = Device.gpu(id);
    } else {
      throw new IllegalArgumentException("model.device must be auto, cpu, gpu or gpu:N, got '" + spec + "'");
    }
    chosen = d;
    return d;
  }

  private static int parseId(String s) {
    try {
      return Integer.parseInt(s.substring(4));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("bad GPU id in '" + s + "'");
    }
  }

  /** The selected device, or what {@code auto} picks when none was selected. */
  public static Device current() {
    Device d = chosen;
    return d != null ? d : select("auto");
  }

  /** A base manager on {@link #current()}. */
  public static NDManager newBaseManager() {
    return NDManager.newBaseManager(current());
  }

  /**
   * Parses {@code rlft.model.dtype} for inference models: {@code float32} anywhere, {@code float16}
   * only on a GPU (CPU kernels for half precision are slow and the CPU path is float32).
   */
  public static DataType inferenceType(String name, Device device) {
    switch (name.trim().toLowerCase()) {
      case "float32", "fp32":
        return DataType.FLOAT32;
      case "float16", "fp16":
        if (!device.isGpu()) {
          throw new IllegalArgumentException("model.dtype = " + name + " needs a GPU device; the CPU runs float32");
        }
        return DataType.FLOAT16;
      case "bfloat16", "bf16":
        throw new IllegalArgumentException("model.dtype = bfloat16 is not usable through DJL 0.33's PyTorch binding "
            + "(it aborts the process); use float16 on GPU or float32");
      default:
        throw new IllegalArgumentException("model.dtype must be float32 or float16, got '" + name + "'");
    }
  }
}

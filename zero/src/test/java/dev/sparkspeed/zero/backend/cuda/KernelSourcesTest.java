package dev.sparkspeed.zero.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class KernelSourcesTest {

  @Test
  void theKernelsTheBackendLaunchesAreExactlyTheOnesTheSourcesDefine() {
    String unit = KernelSources.unit();
    Matcher m =
        Pattern.compile(
                "extern \"C\" __global__ void\\s+(?:__launch_bounds__\\([^)]*\\)\\s+)?(\\w+)\\(")
            .matcher(unit);
    List<String> defined = new ArrayList<>();
    while (m.find()) {
      defined.add(m.group(1));
    }
    assertEquals(CudaKernels.NAMES.stream().sorted().toList(), defined.stream().sorted().toList());
  }

  @Test
  void sourcesIncludeNoHeadersSoNvrtcNeedsNoToolkit() {
    for (String f : KernelSources.FILES) {
      String src = KernelSources.read(f);
      assertFalse(src.contains("#include"), f + " includes a header");
      assertTrue(src.length() > 100, f + " is empty");
    }
  }

  @Test
  void activationCodesFollowTheEnumOrder() {
    String src = KernelSources.read("elementwise.cu");
    for (dev.sparkspeed.zero.backend.Activation a :
        dev.sparkspeed.zero.backend.Activation.values()) {
      assertTrue(src.contains("#define ACT_" + a.name() + " " + a.ordinal()), a.name());
    }
  }
}

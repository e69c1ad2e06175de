package dev.sparkspeed.zero.model;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The single source of truth for a model's parameter layout: names, shapes, offsets into one flat
 * buffer, weight decay, and stage-3 gathering groups. Checkpoints, weight decay and ZeRO
 * partitioning all read it; nothing keeps a second list.
 */
public final class ParameterTable {
  private final List<ParamSpec> params;
  private final Map<String, ParamSpec> byName;
  private final List<String> groups;
  private final long totalElements;

  private ParameterTable(List<ParamSpec> params) {
    this.params = Collections.unmodifiableList(params);
    Map<String, ParamSpec> m = new LinkedHashMap<>();
    List<String> g = new ArrayList<>();
    for (ParamSpec p : params) {
      if (m.put(p.name(), p) != null) {
        throw new IllegalArgumentException("duplicate parameter name " + p.name());
      }
      if (g.isEmpty() || !g.get(g.size() - 1).equals(p.group())) {
        if (g.contains(p.group())) {
          throw new IllegalArgumentException("group " + p.group() + " is not contiguous");
        }
        g.add(p.group());
      }
    }
    this.byName = Collections.unmodifiableMap(m);
    this.groups = Collections.unmodifiableList(g);
    this.totalElements = params.isEmpty() ? 0 : params.get(params.size() - 1).end();
  }

  /** Parameters in layout order. */
  public List<ParamSpec> params() {
    return params;
  }

  /** The parameter with this name; fails naming the valid prefix when absent. */
  public ParamSpec get(String name) {
    ParamSpec p = byName.get(name);
    if (p == null) {
      throw new IllegalArgumentException("no parameter named '" + name + "' in this model");
    }
    return p;
  }

  /** True if a parameter has this name. */
  public boolean contains(String name) {
    return byName.containsKey(name);
  }

  /** Gathering groups in layout order (each a contiguous range). */
  public List<String> groups() {
    return groups;
  }

  /** Parameters of one group, in layout order. */
  public List<ParamSpec> group(String group) {
    List<ParamSpec> out = new ArrayList<>();
    for (ParamSpec p : params) {
      if (p.group().equals(group)) {
        out.add(p);
      }
    }
    return out;
  }

  /** Total elements Ψ. */
  public long totalElements() {
    return totalElements;
  }

  /** Builds a table, assigning consecutive offsets. */
  public static Builder builder() {
    return new Builder();
  }

  /** Adds parameters in order. */
  public static final class Builder {
    private final List<ParamSpec> params = new ArrayList<>();
    private long next;

    /** Appends a parameter of {@code shape} after the previous one. */
    public Builder add(String name, String group, boolean decay, int... shape) {
      ParamSpec p = new ParamSpec(name, shape.clone(), next, decay, group);
      params.add(p);
      next = p.end();
      return this;
    }

    public ParameterTable build() {
      return new ParameterTable(new ArrayList<>(params));
    }
  }
}

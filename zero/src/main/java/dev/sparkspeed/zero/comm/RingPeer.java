package dev.sparkspeed.zero.comm;

/** A neighbour as error messages name it: its rank and its published address. */
record RingPeer(int rank, String address) {
  @Override
  public String toString() {
    return "rank " + rank + " (" + address + ")";
  }
}

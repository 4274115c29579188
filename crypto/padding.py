"""Size buckets: every ciphertext length reveals only a bucket, never the exact size.

Rule (docs/PROTOCOL.md, "Padding"): lengths up to 1 KiB become 1 KiB; up to 1 MiB the next
power of two; above 1 MiB the Padmé rule (at most 12 % overhead, leaks O(log log n) bits).
"""

MIN_BUCKET = 1024
POW2_LIMIT = 1 << 20


def padme(length: int) -> int:
    """Padmé (Nikitin et al., PETS 2019): round ``length`` up, keeping log2(log2(length)) bits."""
    if length < 2:
        return length
    exponent = length.bit_length() - 1
    mantissa_bits = exponent.bit_length()
    mask = (1 << (exponent - mantissa_bits)) - 1
    return (length + mask) & ~mask


def padded_size(length: int) -> int:
    """The bucket that a plaintext of ``length`` bytes is padded to."""
    if length < 0:
        raise ValueError("length must not be negative")
    if length <= MIN_BUCKET:
        return MIN_BUCKET
    if length <= POW2_LIMIT:
        return 1 << (length - 1).bit_length()
    return padme(length)

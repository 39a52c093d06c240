#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

// Number formatting without Foundation (this target has no dependencies); log10 is the C library's.

/// A coordinate with at most two decimals.
func svgNumber(_ v: Double) -> String {
  let scaled = (v * 100).rounded() / 100
  if scaled == scaled.rounded() { return String(Int(scaled)) }
  return String(scaled)
}

/// Up to four decimals, for tick labels.
func format4(_ v: Double) -> String {
  let scaled = (v * 10000).rounded() / 10000
  if scaled == scaled.rounded() && abs(scaled) < 1e15 { return String(Int(scaled)) }
  return String(scaled)
}

func scientific(_ v: Double) -> String {
  let exponent = Int(log10(abs(v)).rounded(.down))
  let mantissa = v / pow10(Double(exponent))
  return "\(format4(mantissa))e\(exponent)"
}

func pow10(_ e: Double) -> Double {
  var result = 1.0
  let n = Int(e)
  if n >= 0 { for _ in 0..<n { result *= 10 } } else { for _ in 0..<(-n) { result /= 10 } }
  return result
}

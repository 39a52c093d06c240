// Number formatting without Foundation (this target has no dependencies).

/// A coordinate with at most two decimals.
func f(_ v: Double) -> String {
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

func log10(_ v: Double) -> Double { naturalLog(v) / 2.302_585_092_994_046 }

/// ln(v) for v > 0: range-reduce to [1, 2) by powers of two, then atanh's series.
func naturalLog(_ v: Double) -> Double {
  guard v > 0 else { return -.infinity }
  var x = v
  var k = 0.0
  while x >= 2 {
    x /= 2
    k += 1
  }
  while x < 1 {
    x *= 2
    k -= 1
  }
  let z = (x - 1) / (x + 1)
  let z2 = z * z
  var term = z
  var sum = 0.0
  var n = 1.0
  while abs(term) > 1e-17 {
    sum += term / n
    term *= z2
    n += 2
  }
  return 2 * sum + k * 0.693_147_180_559_945_3
}

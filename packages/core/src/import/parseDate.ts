// Dates as budgets write them ("8. 9. 2025", "08.09.2025", "2025-09-08") to ISO "2025-09-08".

export const parseDate = (text: string): string | null => {
  const t = text.trim()
  const iso = /^(\d{4})-(\d{2})-(\d{2})/.exec(t)
  if (iso !== null) return `${iso[1]}-${iso[2]}-${iso[3]}`
  const cz = /^(\d{1,2})\.\s*(\d{1,2})\.\s*(\d{4})$/.exec(t)
  if (cz === null) return null
  const [d, m] = [Number(cz[1]), Number(cz[2])]
  if (d < 1 || d > 31 || m < 1 || m > 12) return null
  return `${cz[3]}-${String(m).padStart(2, "0")}-${String(d).padStart(2, "0")}`
}

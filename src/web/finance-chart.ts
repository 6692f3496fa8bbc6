/**
 * A grouped bar chart of two money series per day, laid out on the server as plain numbers for
 * an inline SVG template (no chart library, nothing fetched, readable without JavaScript). The
 * vertical axis has "nice" whole-yuan steps; every bar carries its value for tooltips and screen
 * readers, and the page shows the same figures in a table.
 */
import { formatMoney } from '../lib/money.ts'

export interface ChartSeries {
  label: string
  /** CSS class that colours the bars and the legend swatch */
  className: string
  /** fen per day, in the order of the days */
  values: readonly number[]
}

export interface BarChart {
  width: number
  height: number
  plot: { left: number, top: number, right: number, bottom: number }
  bars: Array<{ x: number, y: number, width: number, height: number, className: string, title: string }>
  yTicks: Array<{ y: number, label: string }>
  xLabels: Array<{ x: number, label: string }>
  legend: Array<{ label: string, className: string }>
}

const WIDTH = 760
const HEIGHT = 240
const PLOT = { left: 84, top: 12, right: WIDTH - 12, bottom: HEIGHT - 28 }
const TICKS = 4

/** The smallest 1, 2 or 5 × 10^k yuan step with which TICKS steps reach the largest value. */
export function niceStepFen (maxFen: number): number {
  const maxYuan = Math.max(1, Math.ceil(maxFen / 100))
  const rough = maxYuan / TICKS
  const magnitude = 10 ** Math.floor(Math.log10(rough))
  const step = [1, 2, 5, 10].map((factor) => factor * magnitude).find((candidate) => candidate >= rough) ?? 10 * magnitude
  return Math.max(1, Math.round(step)) * 100
}

export function barChart (days: readonly string[], series: readonly ChartSeries[]): BarChart {
  const maxFen = Math.max(0, ...series.flatMap((one) => one.values))
  const stepFen = niceStepFen(maxFen)
  const topFen = stepFen * TICKS
  const plotHeight = PLOT.bottom - PLOT.top
  const slot = (PLOT.right - PLOT.left) / Math.max(1, days.length)
  const barWidth = Math.max(1, (slot * 0.8) / Math.max(1, series.length))
  const yOf = (fen: number) => PLOT.bottom - (fen / topFen) * plotHeight
  const round = (value: number) => Math.round(value * 10) / 10

  const bars: BarChart['bars'] = []
  days.forEach((day, index) => {
    series.forEach((one, position) => {
      const fen = one.values[index] ?? 0
      // a zero still shows as a hairline on the axis, and any amount as at least one unit
      const height = Math.max(fen > 0 ? 1 : 0.5, PLOT.bottom - yOf(fen))
      bars.push({
        x: round(PLOT.left + index * slot + slot * 0.1 + position * barWidth),
        y: round(PLOT.bottom - height),
        height: round(height),
        width: round(barWidth),
        className: one.className,
        title: `${day} ${one.label} ${formatMoney(BigInt(fen))}`
      })
    })
  })
  const yTicks = Array.from({ length: TICKS + 1 }, (_, tick) => ({ y: round(yOf(tick * stepFen)), label: formatMoney(BigInt(tick * stepFen)).replace(/\.00$/, '') }))
  // about eight date labels, the last day always among them unless it would crowd its neighbour
  const every = Math.max(1, Math.ceil(days.length / 8))
  const labelled: number[] = []
  for (let index = 0; index < days.length; index += every) labelled.push(index)
  const last = days.length - 1
  const previous = labelled[labelled.length - 1]
  if (previous !== undefined && previous !== last && last - previous >= every / 2) labelled.push(last)
  const xLabels = labelled.map((index) => ({ x: round(PLOT.left + index * slot + slot / 2), label: days[index]!.slice(5) }))
  return { width: WIDTH, height: HEIGHT, plot: PLOT, bars, yTicks, xLabels, legend: series.map((one) => ({ label: one.label, className: one.className })) }
}

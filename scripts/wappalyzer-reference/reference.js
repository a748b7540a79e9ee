#!/usr/bin/env node
// Wappalyzer's own engine on saved pages, without a browser.
//
//   node reference.js WAPPALYZER_PACKAGE_DIR PAGES.ndjson [ROUNDS]
//
// Loads technologies/*.json and categories.json exactly as Wappalyzer's driver does, then for
// every page builds the inputs the driver would collect (url, html, headers, cookies, meta,
// scriptSrc, scripts) with a plain HTML parser, runs `analyze`, the driver's second pass for
// `requires` / `requiresCategory` (no headers there, as in the driver), its de-duplication,
// and `resolve`. Prints one JSON line per page ({url, techs:[{name, version, confidence}]})
// and a last line {"pages": N, "rounds": R, "seconds": S, "pagesPerSecond": P} timing the
// analysis only (ROUNDS repetitions over all pages, default 1).
'use strict'

const fs = require('fs')
const path = require('path')
const { parse } = require('node-html-parser')

const [dir, pagesFile, roundsArg] = process.argv.slice(2)
const Wappalyzer = require(path.resolve(dir, 'wappalyzer.js'))

let technologies = {}
for (const index of Array(27).keys()) {
  const character = index ? String.fromCharCode(index + 96) : '_'
  technologies = {
    ...technologies,
    ...JSON.parse(fs.readFileSync(path.resolve(dir, 'technologies', `${character}.json`))),
  }
}
Wappalyzer.setTechnologies(technologies)
Wappalyzer.setCategories(JSON.parse(fs.readFileSync(path.resolve(dir, 'categories.json'))))

function inputs(page) {
  const url = new URL(page.url)
  const headers = {}
  const cookies = {}
  for (const [name, value] of page.headers) {
    const key = name.toLowerCase()
    headers[key] = [...(headers[key] || []), value]
    if (key === 'set-cookie') {
      const first = value.split(';')[0]
      const eq = first.indexOf('=')
      if (eq > 0) {
        let cname = first.slice(0, eq).trim().toLowerCase()
        if (/^_ga_./.test(cname)) cname = '_ga_*'
        cookies[cname] = [first.slice(eq + 1).trim().replace(/^"|"$/g, '')]
      }
    }
  }
  const root = parse(page.html, { script: true, style: true })
  const scriptNodes = root.querySelectorAll('script')
  const scriptSrc = scriptNodes
    .map((n) => n.getAttribute('src'))
    .filter((src) => src && !src.startsWith('data:text/javascript;'))
    .map((src) => {
      try {
        return new URL(src.trim(), url).href
      } catch (e) {
        return src
      }
    })
  const scripts = scriptNodes.map((n) => n.rawText).filter((s) => s)
  const meta = {}
  for (const m of root.querySelectorAll('meta')) {
    const key = m.getAttribute('name') || m.getAttribute('property')
    if (key) {
      meta[key.toLowerCase()] = [...(meta[key.toLowerCase()] || []), m.getAttribute('content') || '']
    }
  }
  return { url, html: page.html, headers, cookies, meta, scriptSrc, scripts }
}

function detect(items) {
  let detections = []
  const add = (found) => {
    detections = detections
      .concat(found)
      .filter(
        ({ technology: { name }, pattern: { regex }, version }, index, all) =>
          all.findIndex(
            ({ technology: { name: n }, pattern: { regex: r }, version: v }) =>
              name === n && version === v && (!regex || regex.toString() === r.toString())
          ) === index
      )
  }
  add(Wappalyzer.analyze(items))
  const { headers, ...cached } = items
  const done = new Set()
  for (;;) {
    const resolved = Wappalyzer.resolve(detections)
    const groups = [
      ...Wappalyzer.requires.filter(({ name }) => resolved.some((r) => r.name === name)),
      ...Wappalyzer.categoryRequires.filter(({ categoryId }) =>
        resolved.some(({ categories }) => categories.some(({ id }) => id === categoryId))
      ),
    ].filter(({ name, categoryId }) => !done.has(categoryId ? `c:${categoryId}` : `t:${name}`))
    if (!groups.length) break
    for (const { name, categoryId, technologies } of groups) {
      done.add(categoryId ? `c:${categoryId}` : `t:${name}`)
      add(Wappalyzer.analyze(cached, technologies))
    }
  }
  return Wappalyzer.resolve(detections)
}

const pages = fs
  .readFileSync(pagesFile, 'utf8')
  .split('\n')
  .filter((l) => l.trim())
  .map((l) => JSON.parse(l))
const prepared = pages.map(inputs)
const rounds = parseInt(roundsArg || '1', 10)
let results = []
const start = process.hrtime.bigint()
for (let r = 0; r < rounds; r += 1) {
  results = prepared.map(detect)
}
const seconds = Number(process.hrtime.bigint() - start) / 1e9
pages.forEach((page, i) => {
  const techs = results[i].map(({ name, version, confidence }) => ({ name, version, confidence }))
  process.stdout.write(JSON.stringify({ url: page.url, techs }) + '\n')
})
process.stdout.write(
  JSON.stringify({ pages: pages.length, rounds, seconds, pagesPerSecond: (pages.length * rounds) / seconds }) + '\n'
)

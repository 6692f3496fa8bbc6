// Bank statement upload with a progress bar: the file goes to the import API as text/csv (the
// server streams it into the reconciliation), and the result or the refused lines show on the
// page. Without JavaScript the same form posts multipart to the page route.
const form = document.querySelector('form[data-statement-upload]')

function fill (template, params) {
  return template.replace(/\{(\w+)\}/g, (match, name) => (name in params ? String(params[name]) : match))
}

function paragraph (text, className) {
  const element = document.createElement('p')
  if (className) element.className = className
  element.textContent = text
  return element
}

if (form && typeof XMLHttpRequest === 'function') {
  const messages = JSON.parse(form.dataset.messages)
  const box = form.querySelector('[data-upload-progress]')
  const bar = form.querySelector('progress')
  const status = form.querySelector('[data-upload-status]')
  const result = form.querySelector('[data-upload-result]')
  const button = form.querySelector('button[type=submit]')

  const showProgress = (percent) => {
    bar.value = percent
    bar.textContent = `${percent}%`
    status.textContent = fill(messages.uploading, { percent })
  }

  const finish = (state) => {
    form.dataset.uploadState = state
    button.disabled = false
    button.removeAttribute('aria-busy')
  }

  /** What is wrong with one line, in the page's words (statement-lines.ts gives the table). */
  const lineWords = (message) => {
    for (const known of messages.lines.known) {
      const match = new RegExp(known.pattern).exec(message ?? '')
      if (match) return fill(known.words, Object.fromEntries(known.params.map((name, index) => [name, match[index + 1]])))
    }
    return messages.lines.other
  }

  // errors in place: the message beside the field it belongs to, the field marked and described by it
  const clearProblems = () => {
    for (const element of form.querySelectorAll('[data-upload-problem], .field-error, [data-line-errors]')) element.remove()
    for (const control of form.querySelectorAll('[aria-invalid]')) {
      control.removeAttribute('aria-invalid')
      const described = (control.getAttribute('aria-describedby') ?? '').split(' ').filter((id) => id && !id.endsWith('-error') && !id.endsWith('-lines'))
      if (described.length > 0) control.setAttribute('aria-describedby', described.join(' '))
      else control.removeAttribute('aria-describedby')
    }
  }

  const markField = (control, elements) => {
    const place = control.id === 'statement-file' ? form.querySelector('[data-file-problems]') : null
    for (const element of elements) {
      element.dataset.uploadProblem = ''
      if (place) place.append(element)
      else control.before(element)
    }
    control.setAttribute('aria-invalid', 'true')
    const described = (control.getAttribute('aria-describedby') ?? '').split(' ').filter(Boolean)
    control.setAttribute('aria-describedby', [...described, ...elements.map((element) => element.id)].join(' '))
  }

  const showRefusal = (problem) => {
    clearProblems()
    const message = messages.errors[problem.code] ?? messages.failed
    const control = messages.fields[problem.code] ? form.querySelector(`#${messages.fields[problem.code]}`) : null
    const alert = document.createElement('div')
    alert.className = 'error'
    alert.setAttribute('role', 'alert')
    if (control) {
      const link = document.createElement('a')
      link.href = `#${control.id}`
      link.textContent = message
      alert.append(link)
      const beside = paragraph(message, 'error field-error')
      beside.id = `${control.id}-error`
      const elements = [beside]
      if (Array.isArray(problem.errors) && problem.errors.length > 0) {
        const list = document.createElement('ul')
        list.id = `${control.id}-lines`
        list.className = 'error line-errors'
        for (const error of problem.errors) {
          const item = document.createElement('li')
          const line = /^line (\d+)$/.exec(error.path ?? '')
          if (line) {
            const where = document.createElement('strong')
            where.textContent = fill(messages.line, { line: line[1] })
            item.append(where, '：')
          }
          item.append(lineWords(error.message))
          list.append(item)
        }
        elements.push(list)
      }
      markField(control, elements)
    } else {
      alert.append(paragraph(message))
    }
    result.replaceChildren(alert)
  }

  form.addEventListener('submit', (event) => {
    const file = form.elements.statement.files[0]
    if (!file) return
    event.preventDefault()
    const query = new URLSearchParams({ bankCode: form.elements.bankCode.value, date: form.elements.date.value })
    const request = new XMLHttpRequest()
    request.open('POST', `${form.dataset.api}?${query}`)
    request.setRequestHeader('content-type', 'text/csv')
    request.setRequestHeader('accept', 'application/json')
    request.responseType = 'json'
    request.upload.addEventListener('progress', (progress) => {
      if (progress.lengthComputable && progress.total > 0) showProgress(Math.round((progress.loaded / progress.total) * 100))
    })
    request.upload.addEventListener('load', () => {
      showProgress(100)
      status.textContent = messages.processing
    })
    request.addEventListener('load', () => {
      const body = request.response ?? {}
      if (request.status === 201) {
        showProgress(100)
        status.textContent = ''
        const done = paragraph(fill(messages.done, { lines: body.lineCount, differences: body.differences, open: body.openDifferences }), 'notice ok')
        done.setAttribute('role', 'status')
        const link = document.createElement('a')
        link.href = `/finance/statements/${body.id}`
        link.textContent = messages.view
        link.dataset.statementLink = ''
        done.append(' ', link)
        result.replaceChildren(done)
        finish('done')
      } else {
        status.textContent = ''
        showRefusal(body)
        finish('refused')
      }
    })
    request.addEventListener('error', () => {
      status.textContent = ''
      result.replaceChildren(paragraph(messages.network, 'error'))
      finish('failed')
    })
    box.hidden = false
    showProgress(0)
    clearProblems()
    result.replaceChildren()
    button.disabled = true
    button.setAttribute('aria-busy', 'true')
    form.dataset.uploadState = 'uploading'
    request.send(file)
  })
}
